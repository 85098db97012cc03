"""database.passwords: the stored format, long and unicode passwords, the dummy check, rehash."""

from __future__ import annotations

import bcrypt
import pytest

from database import passwords
from database.errors import ValidationError

ROUNDS = 4


@pytest.fixture
def checkpw_calls(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Records the hash every bcrypt.checkpw call verifies against (the real function runs)."""
    calls: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", spy)
    return calls


def test_stored_format_is_marked_and_carries_the_cost() -> None:
    stored = passwords.hash_password("correct horse", ROUNDS)
    assert stored.startswith("bcrypt_sha256$$2b$04$")
    assert len(stored) == len("bcrypt_sha256$") + 60
    assert passwords.cost(stored) == ROUNDS
    assert passwords.verify("correct horse", stored, ROUNDS) is True
    assert passwords.verify("correct horsE", stored, ROUNDS) is False


def test_each_hash_is_salted() -> None:
    assert passwords.hash_password("same password", ROUNDS) != passwords.hash_password(
        "same password", ROUNDS
    )


def test_passwords_longer_than_72_bytes_are_not_truncated() -> None:
    common = "x" * 72
    first, second = common + "first", common + "second"
    assert len(first.encode()) > 72
    first_hash = passwords.hash_password(first, ROUNDS)
    assert passwords.verify(first, first_hash, ROUNDS)
    assert not passwords.verify(second, first_hash, ROUNDS)
    assert not passwords.verify(common, first_hash, ROUNDS)
    # Plain bcrypt 5 refuses such input; the pre-hash is what makes it work.
    with pytest.raises(ValueError):
        bcrypt.hashpw(first.encode(), bcrypt.gensalt(ROUNDS))


def test_multibyte_passwords_past_72_bytes_are_distinguished() -> None:
    base = "ä" * 40  # 80 bytes in UTF-8, 40 characters
    stored = passwords.hash_password(base + "1", ROUNDS)
    assert passwords.verify(base + "1", stored, ROUNDS)
    assert not passwords.verify(base + "2", stored, ROUNDS)


@pytest.mark.parametrize(
    "password", ["pässwörd-ÆØÅ", "пароль-секрет", "密码密码密码密码", "🔑🔑🔑🔑🔑🔑🔑🔑", "tab\there ok"]
)
def test_unicode_passwords(password: str) -> None:
    stored = passwords.hash_password(password, ROUNDS)
    assert passwords.verify(password, stored, ROUNDS)
    assert not passwords.verify(password + " ", stored, ROUNDS)


def test_no_unicode_normalisation_exact_text_counts() -> None:
    composed, decomposed = "caf\u00e9-password", "cafe\u0301-password"
    stored = passwords.hash_password(composed, ROUNDS)
    assert passwords.verify(composed, stored, ROUNDS)
    assert not passwords.verify(decomposed, stored, ROUNDS)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("short", "at least 8"),
        ("1234567", "at least 8"),
        ("", "at least 8"),
        ("with\x00nul-inside", "NUL"),
        (12345678, "must be a string"),
        (None, "must be a string"),
        (b"bytes-password", "must be a string"),
        ("lone-\ud800-surrogate", "Unicode"),
    ],
)
def test_validation(bad: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        passwords.hash_password(bad, ROUNDS)  # type: ignore[arg-type]
    assert info.value.field == "password"
    assert message in str(info.value)


def test_eight_characters_is_enough_and_nothing_else_is_required() -> None:
    for password in ("abcdefgh", "        ", "11111111"):
        assert passwords.verify(password, passwords.hash_password(password, ROUNDS), ROUNDS)


def test_missing_hash_is_checked_against_a_dummy_of_the_configured_cost(checkpw_calls: list[bytes]) -> None:
    assert passwords.verify("any password", None, 5) is False
    assert len(checkpw_calls) == 1
    assert checkpw_calls[0].startswith(b"$2b$05$")


@pytest.mark.parametrize(
    "stored", ["", "not a hash", "$2b$04$tooshort", "bcrypt_sha256$garbage", "pbkdf2$x$y"]
)
def test_unusable_hash_never_raises_and_costs_a_full_check(stored: str, checkpw_calls: list[bytes]) -> None:
    assert passwords.verify("any password", stored, ROUNDS) is False
    assert len(checkpw_calls) == 1
    assert checkpw_calls[0] == passwords.dummy_hash(ROUNDS)[len(passwords.PREFIX) :].encode()


def test_wrong_password_does_the_same_single_check(checkpw_calls: list[bytes]) -> None:
    stored = passwords.hash_password("right password", ROUNDS)
    assert passwords.verify("wrong password", stored, ROUNDS) is False
    assert len(checkpw_calls) == 1
    assert checkpw_calls[0].startswith(b"$2b$04$")


@pytest.mark.parametrize("candidate", ["", "password", "dummy", "x" * 100])
def test_dummy_hash_matches_nothing(candidate: str) -> None:
    dummy = passwords.dummy_hash(ROUNDS)
    assert passwords.cost(dummy) == ROUNDS
    assert passwords.verify(candidate, dummy, ROUNDS) is False


def test_non_string_candidate_is_a_plain_no() -> None:
    stored = passwords.hash_password("right password", ROUNDS)
    assert passwords.verify(None, stored, ROUNDS) is False
    assert passwords.verify(b"right password", stored, ROUNDS) is False


def test_candidate_with_nul_or_surrogate_is_a_plain_no() -> None:
    stored = passwords.hash_password("right password", ROUNDS)
    assert passwords.verify("right\x00password", stored, ROUNDS) is False
    assert passwords.verify("right \ud800", stored, ROUNDS) is False


def test_needs_rehash_only_when_the_stored_cost_is_lower() -> None:
    low = passwords.hash_password("some password", 4)
    assert passwords.needs_rehash(low, 5) is True
    assert passwords.needs_rehash(low, 4) is False
    assert passwords.needs_rehash(passwords.hash_password("some password", 6), 5) is False
    assert passwords.needs_rehash(None, 12) is False
    assert passwords.needs_rehash("garbage", 12) is False


def test_rehash_skips_the_rules_for_an_already_verified_password() -> None:
    # A password accepted under older rules must still be upgradable at login.
    stored = passwords.rehash("short", 5)
    assert passwords.cost(stored) == 5
    assert passwords.verify("short", stored, 5)


def test_a_hash_masks_itself_in_reprs_and_logs() -> None:
    stored = passwords.hash_password("correct horse", ROUNDS)
    assert "$2b$" not in repr(stored) and "$2b$" not in repr({"password_hash": stored})
    assert "$2b$" not in repr([stored]) and str(stored).startswith(passwords.PREFIX + "$2b$04$")
    assert stored == str(stored) and passwords.verify("correct horse", str(stored), ROUNDS)
