"""A synthetic legacy tree for the import benchmark: every kind of file, realistic shapes.

Conversations (70% quiz with questions, answers, feedback and options; 15% chat; 15% assessment
triples), session records of both formats linked to a fifth of the quizzes, one student model
per student, a question cache and query-result cache files. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

WORDS = "the ring of power went west over misty mountains to lothl\u00f3rien where elves sang \u2014 thra\u00b4in".split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _message(role: str, content: str, ts: float, metadata: dict) -> dict:
    return {"role": role, "content": content, "timestamp": ts,
            "timestamp_formatted": datetime.fromtimestamp(ts).isoformat(), "metadata": metadata}


def _conversation(rng: random.Random, n: int, per: int, student: str) -> tuple[dict, list]:
    start = 1_700_000_000.0 + n * 3600 + rng.random()
    kind = rng.random()
    messages, history, ts = [], [], start
    if kind < 0.15:  # chat
        meta = {"mode": "chat", "user_id": student, "session_id": None, "user_agent": "Expo/1", "client_host": "10.0.0.1"}
        while len(messages) < per:
            messages.append(_message("user" if len(messages) % 2 == 0 else "assistant", _text(rng, 12), ts,
                                     {"user_agent": "Expo/1", "client_host": "10.0.0.1"}))
            ts += 1.5
    elif kind < 0.30:  # assessment triples
        meta = {"mode": "assessment"}
        while len(messages) < per:
            role = ("system", "user", "assistant")[len(messages) % 3]
            flags = {"correct": None, "quality_score": None, "is_feedback": True} if role == "assistant" else {}
            messages.append(_message(role, _text(rng, 10), ts, flags))
    else:  # quiz: preamble, then question / answer / feedback
        meta = {"student_name": student.title(), "strategy": "adaptive",
                "session_id": datetime.fromtimestamp(start).strftime("session_%Y%m%d_%H%M%S")}
        messages.append(_message("system", f"Welcome, {student}!", ts, {}))
        while len(messages) < per:
            step = (len(messages) - 1) % 3
            if step == 0:
                text = _text(rng, 9) + "?" + ("\n\n1. Sting\n2. Glamdring\n3. Orcrist" if rng.random() < 0.5 else "")
                messages.append(_message("assistant", text, ts, {"question_type": "factual", "difficulty": 2,
                                                                 "community_id": rng.randint(1, 2000),
                                                                 "question_id": None, "is_question": True}))
                history.append({"question": {"text": text.split("\n\n")[0], "type": "factual", "tier": "basic",
                                             "entity": rng.choice(WORDS), "options": ["Sting", "Glamdring", "Orcrist"]},
                                "answer": "Sting", "correct": True, "quality_score": rng.randint(0, 100)})
            elif step == 1:
                score = {"explanation": _text(rng, 20), "strengths": [], "weaknesses": []} if rng.random() < 0.3 \
                    else rng.randint(0, 100)
                messages.append(_message("user", _text(rng, 6), ts, {"correct": rng.random() < 0.6,
                                                                     "quality_score": score, "is_answer": True}))
            else:
                messages.append(_message("assistant", _text(rng, 25), ts, {"is_feedback": True}))
            ts += rng.random() * 20
    doc = {"conversation_id": f"{n:08x}-0000-4000-8000-{n:012x}", "student_id": student, "quiz_id": f"quiz_{n}",
           "metadata": meta, "messages": messages, "start_time": start,
           "start_time_formatted": datetime.fromtimestamp(start).isoformat(), "end_time": ts,
           "end_time_formatted": datetime.fromtimestamp(ts).isoformat(), "duration_seconds": ts - start}
    return doc, history


def generate(root: Path, conversations: int, messages: int, seed: int = 4) -> int:
    """Write the synthetic legacy tree; returns the number of files."""
    rng = random.Random(seed)
    per = max(2, messages // conversations)
    students = [f"student{i}" for i in range(max(1, conversations // 50))]
    files = 0

    def write(rel: str, value: object) -> None:
        nonlocal files
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2), encoding="utf-8")
        files += 1

    for n in range(conversations):
        student = students[n % len(students)]
        doc, history = _conversation(rng, n, per, student)
        stamp = datetime.fromtimestamp(doc["start_time"]).strftime("%Y%m%d_%H%M%S")
        write(f"conversation_history/{student}/conversation_{doc['conversation_id']}_{stamp}.json", doc)
        if history and rng.random() < 0.2:  # a session record: v1 (linked by stem) or v2 (by start time)
            record = {"questions_asked": len(history), "start_time": doc["start_time"] - 0.001,
                      "end_time": doc["end_time"], "question_history": history,
                      "summary": {"total_questions": len(history), "accuracy": 60.0, "mastery_after": 55.0}}
            if rng.random() < 0.5:
                write(f"student_models/sessions/{student}/{doc['metadata']['session_id']}.json",
                      {**record, "correct_answers": 3, "incorrect_answers": 1})
            else:
                write(f"student_models/session_stats/{student}_{stamp}.json",
                      {**record, "start_time": doc["start_time"], "correct": 3, "incorrect": 1})
    for student in students:
        write(f"student_models/{student}.json", {"id": student, "name": student.title(), "community_mastery": {"1": 50.0},
                                                 "entity_familiarity": {}, "question_type_performance": {},
                                                 "difficulty_performance": {"2": 50}, "recent_questions": [],
                                                 "mastered_objectives": [], "current_objective": None,
                                                 "overall_mastery": 50.0})
    write("question_cache/question_cache.json",
          {f"factual_{word}{i}_2": {"question": _text(rng, 8), "type": "factual", "difficulty": 2, "entity": word}
           for i, word in enumerate(rng.choice(WORDS) for _ in range(max(10, conversations // 10)))})
    for i in range(max(1, conversations // 100)):
        write(f"cache/{i:032x}.json", {"strategy": "pathrag", "query": _text(rng, 5), "nodes": [], "relationships": [],
                                       "paths": [], "execution_time": rng.random(), "total_results": 0, "metadata": {}})
    return files
