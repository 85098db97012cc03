"""Every model, imported here so ``Base.metadata`` is complete."""

from database.models.base import Base, NAMING_CONVENTION
from database.models.cache import CacheEntry
from database.models.conversation import Answer, Conversation, ConversationParameters, Message, Question
from database.models.ledger import ImportedFile
from database.models.user import USER_ROLES, User, UserProfile, UserSession

__all__ = [
    "NAMING_CONVENTION",
    "USER_ROLES",
    "Answer",
    "Base",
    "CacheEntry",
    "Conversation",
    "ConversationParameters",
    "ImportedFile",
    "Message",
    "Question",
    "User",
    "UserProfile",
    "UserSession",
]
