"""Every constraint that protects data, proven by a write that violates it, and every ON DELETE rule
proven by a delete. (Column types, rules and indexes as the catalog has them: test_schema_catalog.py.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from database.errors import AlreadyExistsError, IntegrityViolation, NotFoundError, translate
from database.models import (
    Answer,
    CacheEntry,
    Conversation,
    ConversationParameters,
    Message,
    Question,
    User,
    UserProfile,
    UserSession,
)

# --- small factories (flush, never commit) ------------------------------------------------------


def make_user(session: Session, **values: object) -> User:
    user = User(username=values.pop("username", f"student-{uuid.uuid4().hex[:8]}"), **values)
    session.add(user)
    session.flush()
    return user


def make_conversation(db: Session, user: User, /, **values: object) -> Conversation:
    conversation = Conversation(user=user, **values)
    db.add(conversation)
    db.flush()
    return conversation


def make_message(session: Session, conversation: Conversation, position: int, **values: object) -> Message:
    message = Message(
        conversation=conversation, position=position, role=values.pop("role", "assistant"),
        content=values.pop("content", f"message {position}"), **values,
    )
    session.add(message)
    session.flush()
    return message


@dataclass
class Graph:
    """One user with one of everything that hangs off a user."""

    user: User
    profile: UserProfile
    quiz_session: UserSession
    conversation: Conversation
    parameters: ConversationParameters
    question_message: Message
    answer_message: Message
    question: Question
    answer: Answer

    def ids(self) -> dict[type, object]:
        return {
            User: self.user.id, UserProfile: self.profile.user_id, UserSession: self.quiz_session.id,
            Conversation: self.conversation.id, ConversationParameters: self.parameters.conversation_id,
            Question: self.question.id, Answer: self.answer.id,
        }


def make_graph(session: Session) -> Graph:
    user = make_user(session)
    profile = UserProfile(user=user, community_mastery={"7": 0.5}, recent_questions=["q1"])
    quiz_session = UserSession(user=user, questions_asked=1, correct_answers=1)
    session.add_all([profile, quiz_session])
    conversation = make_conversation(session, user, session=quiz_session, conversation_type="quiz")
    parameters = ConversationParameters(conversation=conversation, llm_model="gpt", temperature=0.2)
    session.add(parameters)
    question_message = make_message(session, conversation, 0, content="Who is Gandalf?")
    answer_message = make_message(session, conversation, 1, role="user", content="A wizard")
    question = Question(message=question_message, text="Who is Gandalf?", community_id="12", options=["a", "b"])
    session.add(question)
    session.flush()
    answer = Answer(message=answer_message, question=question, content="A wizard", correct=True,
                    feedback={"text": "right"})
    session.add(answer)
    session.flush()
    return Graph(user, profile, quiz_session, conversation, parameters, question_message, answer_message,
                 question, answer)


def count(session: Session, model: type, **where: object) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return session.scalar(query) or 0


def violation(session: Session, write: Callable[[], None]) -> IntegrityError:
    """Run ``write`` in a SAVEPOINT, expect the database to reject it; the session stays usable."""
    with pytest.raises(IntegrityError) as info:
        with session.begin_nested():
            write()
            session.flush()
    return info.value


# --- unique constraints -----------------------------------------------------------------------


def dup_username(session: Session) -> Callable[[], None]:
    make_user(session, username="frodo")
    return lambda: session.add(User(username="frodo"))


def dup_message_position(session: Session) -> Callable[[], None]:
    conversation = make_conversation(session, make_user(session))
    make_message(session, conversation, 0)
    return lambda: session.add(Message(conversation=conversation, position=0, role="user", content="again"))


def dup_cache_key(session: Session) -> Callable[[], None]:
    session.add(CacheEntry(cache_type="question", key="k1", value={"a": 1}))
    session.flush()
    return lambda: session.add(CacheEntry(cache_type="question", key="k1", value={"b": 2}))


def dup_question_for_message(session: Session) -> Callable[[], None]:
    graph = make_graph(session)
    return lambda: session.add(Question(message_id=graph.question_message.id, text="second"))


def dup_answer_for_message(session: Session) -> Callable[[], None]:
    graph = make_graph(session)
    return lambda: session.add(Answer(message_id=graph.answer_message.id, content="second"))


@pytest.mark.parametrize(
    ("arrange", "constraint", "words"),
    [
        (dup_username, "uq_users_username", "username already exists"),
        (dup_message_position, "uq_messages_conversation_id_position", "already holds this position"),
        (dup_cache_key, "uq_cache_entries_cache_type_key", "cache entry already exists"),
        (dup_question_for_message, "uq_questions_message_id", "already has a question"),
        (dup_answer_for_message, "uq_answers_message_id", "already has an answer"),
    ],
)
def test_unique_violations_become_already_exists(
    session: Session, arrange: Callable[[Session], Callable[[], None]], constraint: str, words: str
) -> None:
    write = arrange(session)
    exc = violation(session, write)
    assert exc.orig.diag.constraint_name == constraint  # type: ignore[union-attr]
    translated = translate(exc)
    assert isinstance(translated, AlreadyExistsError)
    assert words in str(translated)
    # The outer transaction survived: the first row is still there and writes still work.
    make_user(session)
    assert count(session, User) >= 1


def test_unique_cache_key_is_per_type(session: Session) -> None:
    session.add_all([
        CacheEntry(cache_type="question", key="same", value=1),
        CacheEntry(cache_type="assessment", key="same", value=2),
    ])
    session.flush()
    assert count(session, CacheEntry, key="same") == 2


def test_same_position_in_different_conversations_is_fine(session: Session) -> None:
    user = make_user(session)
    for _ in range(2):
        make_message(session, make_conversation(session, user), 0)
    assert count(session, Message, position=0) >= 2


# --- check constraints and foreign keys ---------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "make_row"),
    [
        ("ck_users_role", lambda s: User(username="eowyn", role="superuser")),
        ("ck_users_username_length", lambda s: User(username="")),
        # Rows refer to their parents by id: a relationship would put them in the session early.
        ("ck_messages_position_not_negative",
         lambda s: Message(conversation_id=make_conversation(s, make_user(s)).id, position=-1, role="user",
                           content="")),
        ("ck_user_sessions_counts_not_negative", lambda s: UserSession(user_id=make_user(s).id, questions_asked=-1)),
        ("ck_conversations_type_not_empty", lambda s: Conversation(user_id=make_user(s).id, conversation_type="")),
    ],
)
def test_check_violations_become_integrity_violations(
    session: Session, constraint: str, make_row: Callable[[Session], object]
) -> None:
    row = make_row(session)
    exc = violation(session, lambda: session.add(row))
    assert exc.orig.diag.constraint_name == constraint  # type: ignore[union-attr]
    translated = translate(exc)
    assert isinstance(translated, IntegrityViolation)
    assert not isinstance(translated, AlreadyExistsError)
    assert constraint in str(translated)


@pytest.mark.parametrize("role", ["user", "admin"])
def test_allowed_roles(session: Session, role: str) -> None:
    assert make_user(session, role=role).role == role


def test_missing_parent_becomes_not_found(session: Session) -> None:
    ghost = uuid.uuid4()
    exc = violation(
        session, lambda: session.add(Message(conversation_id=ghost, position=0, role="user", content="x"))
    )
    assert exc.orig.diag.constraint_name == "fk_messages_conversation_id_conversations"  # type: ignore[union-attr]
    assert isinstance(translate(exc), NotFoundError)


# --- ON DELETE behaviour ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["sql", "orm"])
def test_deleting_a_user_removes_everything_of_that_user(session: Session, how: str) -> None:
    graph = make_graph(session)
    other = make_graph(session)  # another user's data must survive
    message_ids = [graph.question_message.id, graph.answer_message.id]
    if how == "sql":
        session.execute(delete(User).where(User.id == graph.user.id))
    else:
        session.delete(graph.user)
    session.flush()
    session.expunge_all()

    for model, key in graph.ids().items():
        column = "user_id" if model is UserProfile else "conversation_id" if model is ConversationParameters else "id"
        assert count(session, model, **{column: key}) == 0, model.__name__
    assert session.scalar(select(func.count()).select_from(Message).where(Message.id.in_(message_ids))) == 0
    for model, key in other.ids().items():
        column = "user_id" if model is UserProfile else "conversation_id" if model is ConversationParameters else "id"
        assert count(session, model, **{column: key}) == 1, model.__name__


def test_deleting_a_quiz_session_keeps_its_conversations(session: Session) -> None:
    graph = make_graph(session)
    session.execute(delete(UserSession).where(UserSession.id == graph.quiz_session.id))
    session.expunge_all()
    conversation = session.get(Conversation, graph.conversation.id)
    assert conversation is not None
    assert conversation.session_id is None
    assert count(session, Message, conversation_id=graph.conversation.id) == 2
    assert count(session, User, id=graph.user.id) == 1


def test_deleting_a_message_removes_its_question_or_answer(session: Session) -> None:
    graph = make_graph(session)
    session.execute(delete(Message).where(Message.id == graph.answer_message.id))
    session.expunge_all()
    assert count(session, Answer, id=graph.answer.id) == 0
    assert count(session, Question, id=graph.question.id) == 1

    session.execute(delete(Message).where(Message.id == graph.question_message.id))
    assert count(session, Question, id=graph.question.id) == 0
    assert count(session, Conversation, id=graph.conversation.id) == 1


def test_deleting_a_question_keeps_the_answer_unlinked(session: Session) -> None:
    graph = make_graph(session)
    session.execute(delete(Question).where(Question.id == graph.question.id))
    session.expunge_all()
    answer = session.get(Answer, graph.answer.id)
    assert answer is not None
    assert answer.question_id is None
    assert answer.content == "A wizard"


def test_deleting_a_conversation_removes_parameters_and_messages(session: Session) -> None:
    graph = make_graph(session)
    session.execute(delete(Conversation).where(Conversation.id == graph.conversation.id))
    session.expunge_all()
    assert count(session, ConversationParameters, conversation_id=graph.conversation.id) == 0
    assert count(session, Message, conversation_id=graph.conversation.id) == 0
    assert count(session, Answer, id=graph.answer.id) == 0
    assert count(session, UserSession, id=graph.quiz_session.id) == 1


def test_a_deadlock_is_a_retryable_error_not_an_outage(engine):
    """Two transactions locking two rows in opposite order: PostgreSQL aborts one with 40P01."""
    import threading

    from sqlalchemy.exc import SQLAlchemyError

    from database.errors import RetryableError, translate

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS deadlock_probe (id int primary key)"))
        conn.execute(text("INSERT INTO deadlock_probe VALUES (1), (2) ON CONFLICT DO NOTHING"))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(first: int, second: int) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                conn.execute(text("SELECT 1 FROM deadlock_probe WHERE id = :i FOR UPDATE"), {"i": first})
                barrier.wait(timeout=10)
                conn.execute(text("SELECT 1 FROM deadlock_probe WHERE id = :i FOR UPDATE"), {"i": second})
        except SQLAlchemyError as exc:
            errors.append(translate(exc))

    try:
        threads = [threading.Thread(target=worker, args=(1, 2)), threading.Thread(target=worker, args=(2, 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(errors) == 1 and isinstance(errors[0], RetryableError), errors
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE deadlock_probe"))
