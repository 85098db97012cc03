"""admin search and listings: full-text index on message content, keyset indexes for the admin lists

Revision ID: 003
Revises: 002
Create Date: 2026-12-05

- ix_messages_content_fts: GIN on to_tsvector('simple', content), serves `--search` (the queries use
  exactly this expression, else the index cannot be used).
- (start_time, id) on conversations and user_sessions, (created_at, id) on questions and answers: the
  admin lists page newest-first across all users with a keyset on these pairs, so each page is an
  index range scan plus LIMIT, never a sort of the whole table. user_sessions(start_time, id) also
  serves `cleanup --sessions-older-than`.

Building the GIN index reads every message once and blocks writes to messages while it runs
(minutes on tens of millions of rows); run this migration in a quiet moment.
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '003'
down_revision: Union[str, None] = '002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(
        'ix_messages_content_fts', 'messages',
        [sa.literal_column("to_tsvector('simple', content)")], unique=False, postgresql_using='gin',
    )
    op.create_index(
        op.f('ix_conversations_start_time_id'), 'conversations', ['start_time', 'id'], unique=False
    )
    op.create_index(
        op.f('ix_user_sessions_start_time_id'), 'user_sessions', ['start_time', 'id'], unique=False
    )
    op.create_index(op.f('ix_questions_created_at_id'), 'questions', ['created_at', 'id'], unique=False)
    op.create_index(op.f('ix_answers_created_at_id'), 'answers', ['created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_answers_created_at_id'), table_name='answers')
    op.drop_index(op.f('ix_questions_created_at_id'), table_name='questions')
    op.drop_index(op.f('ix_user_sessions_start_time_id'), table_name='user_sessions')
    op.drop_index(op.f('ix_conversations_start_time_id'), table_name='conversations')
    op.drop_index('ix_messages_content_fts', table_name='messages', postgresql_using='gin')
