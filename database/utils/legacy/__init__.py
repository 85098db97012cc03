"""The legacy JSON files: where they are, what each is, and parsers to plain records.

Nothing here touches the database; ``database.utils.import_data`` writes what these return.
"""

from database.utils.legacy.caches import CacheFile, namespace, parse_cache
from database.utils.legacy.conversations import (
    LegacyConversation,
    LegacyMessage,
    conversation_uuid,
    parse_conversation,
)
from database.utils.legacy.decoding import Rejected, decode_json
from database.utils.legacy.discovery import PASSES, LegacyFile, OutsideRoot, classify, discover, resolve_targets
from database.utils.legacy.qa import AnswerDraft, QuestionDraft, derive, split_options
from database.utils.legacy.records import (
    SessionRecord,
    StudentModel,
    parse_session,
    parse_student_model,
    profile_values,
)

__all__ = [
    "PASSES",
    "AnswerDraft",
    "CacheFile",
    "LegacyConversation",
    "LegacyFile",
    "LegacyMessage",
    "OutsideRoot",
    "QuestionDraft",
    "Rejected",
    "SessionRecord",
    "StudentModel",
    "classify",
    "conversation_uuid",
    "decode_json",
    "derive",
    "discover",
    "namespace",
    "parse_cache",
    "parse_conversation",
    "parse_session",
    "parse_student_model",
    "profile_values",
    "resolve_targets",
    "split_options",
]
