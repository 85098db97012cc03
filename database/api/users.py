"""DatabaseAPI methods: user accounts, passwords and logins."""

from __future__ import annotations

from typing import Any

from database import passwords
from database import validation as v
from database.api.export import ExportAPI
from database.api.profiles import ProfilesAPI
from database.errors import NotFoundError, ValidationError
from database.models import USER_ROLES
from database.repositories import users as users_repo


def _role(value: object) -> str:
    if value not in USER_ROLES:
        raise ValidationError("role", f"must be one of {', '.join(USER_ROLES)}, got {value!r:.40}")
    return str(value)


class UsersAPI(ProfilesAPI, ExportAPI):
    """Accounts. A user dict has id, username, email, name, role, created_at, updated_at,
    last_login, has_password and metadata; it never carries the password hash."""

    def get_user(self, username: str) -> dict[str, Any] | None:
        """The user with this username, or None.

        One statement. Raises ValidationError for a malformed username.
        """
        name = v.username(username)
        with self._statement() as conn:
            return users_repo.by_username(conn, name)

    def get_user_by_id(self, user_id: Any) -> dict[str, Any] | None:
        """The user with this id (uuid or its string), or None."""
        uid = v.identifier("user_id", user_id)
        with self._statement() as conn:
            return users_repo.by_id(conn, uid)

    def create_user(
        self,
        username: str,
        password: str | None = None,
        email: str | None = None,
        name: str | None = None,
        role: str = "user",
        *,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a user and its empty profile; returns the user dict.

        ``password`` None makes a user that cannot log in (e.g. an imported student) until
        ``set_password``. One statement (user and profile together). Raises AlreadyExistsError if
        the username is taken (also when two processes race for it: exactly one wins), and
        ValidationError for a bad username, role, email, name, metadata or a password shorter
        than 8 characters.
        """
        values: dict[str, Any] = {
            "username": v.username(username),
            "email": v.text("email", email, optional=True, max_length=320),
            "name": v.text("name", name, optional=True, max_length=255),
            "role": _role(role),
            "metadata": v.json_object("metadata", metadata),
        }
        if password is not None:
            # Hashed before a connection is taken: bcrypt must not hold a pooled connection.
            values["password_hash"] = passwords.hash_password(password, self.bcrypt_rounds)
        with self._statement() as conn:
            return users_repo.insert_with_profile(conn, values)

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The user dict if the password is right (and records the login), else None.

        An unknown user and a user without a password are checked against a dummy hash of
        the configured cost, so every failure costs the same as a wrong password. A hash made
        with a lower cost than configured is replaced on success. Two statements.
        """
        name = v.username(username)
        if not isinstance(password, str):
            raise ValidationError("password", f"must be a string, got {type(password).__name__}")
        rounds = self.bcrypt_rounds
        with self._statement() as conn:
            found = users_repo.credentials(conn, name)
        user_id, stored = found if found is not None else (None, None)
        # verify() runs first and always: an unknown user must cost a full bcrypt check too.
        if not passwords.verify(password, stored, rounds) or user_id is None:
            return None
        new_hash = passwords.rehash(password, rounds) if passwords.needs_rehash(stored, rounds) else None
        with self._statement() as conn:
            # Compare-and-set on the hash just checked: a password changed in the meantime wins.
            return users_repo.record_login(conn, user_id, expected_hash=stored, new_hash=new_hash)

    def set_password(self, username: str, password: str | None) -> bool:
        """Set (or, with None, remove) a user's password; returns True.

        Raises NotFoundError if there is no such user (a write against a missing row), and
        ValidationError for a password shorter than 8 characters or containing NUL. A user
        whose password is removed can no longer log in.
        """
        name = v.username(username)
        new_hash = passwords.hash_password(password, self.bcrypt_rounds) if password is not None else None
        with self._statement() as conn:
            if users_repo.set_password_hash(conn, name, new_hash) is None:
                raise NotFoundError(f"no user named {name!r}")
        return True

    def record_login(self, username: str) -> dict[str, Any]:
        """Set the user's last_login to now; returns the user dict. NotFoundError if missing."""
        name = v.username(username)
        with self._statement() as conn:
            user = users_repo.record_login_by_name(conn, name)
        if user is None:
            raise NotFoundError(f"no user named {name!r}")
        return user

    def list_users(self, limit: int = 50, after: str | None = None) -> list[dict[str, Any]]:
        """Users ordered by username, at most ``limit`` (1-10000).

        Keyset paging: pass the last username of the previous page as ``after`` (it need not
        still exist). An empty list is the end.
        """
        count = v.limit(limit)
        start = v.text("after", after, optional=True)
        with self._statement() as conn:
            return users_repo.page(conn, count, start)

    def delete_user(self, username: str) -> dict[str, int]:
        """Delete a user and everything they own; returns what was removed.

        Keys: conversations, messages, questions, answers, sessions, profile. One transaction
        of three statements whatever the size: lock the user row (no new conversation or
        session can be attached meanwhile), count, then one DELETE (foreign keys cascade).
        Raises NotFoundError if there is no such user.
        """
        name = v.username(username)
        with self._unit() as session:
            user_id = users_repo.lock_id(session, name)
            if user_id is None:
                raise NotFoundError(f"no user named {name!r}")
            counts = users_repo.owned_counts(session, user_id)
            users_repo.delete(session, user_id)
        return counts
