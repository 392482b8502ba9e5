"""Where IVR nodes keep what callers leave: survey answers, callback requests, messages.

Each is stored against the call's record at once, so nothing a caller gave is lost when
the call or the controller ends a moment later.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pbx.call_log import CallLog
from pbx.ivr.port import CallContext, Recording
from pbx.models import CallbackRequest, SurveyAnswer, Voicemail
from switchboard.db_types import utcnow


class CallNotRecorded(LookupError):
    pass


class IvrStore:
    def __init__(self, call_log: CallLog, recordings: Path) -> None:
        self.call_log = call_log
        self.recordings = recordings

    async def _record_id(self, call: CallContext) -> int:
        record_id = await self.call_log.record_id(call.call_id)
        if record_id is None:
            raise CallNotRecorded(f"no call record for channel {call.call_id}")
        return record_id

    async def survey(
        self, call: CallContext, survey: str, answers: Mapping[str, int | None]
    ) -> None:
        record_id = await self._record_id(call)
        now = utcnow()
        async with self.call_log.db.transaction() as session:
            for question, answer in answers.items():
                session.add(
                    SurveyAnswer(
                        call_id=record_id,
                        survey=survey,
                        question=question,
                        answer=answer,
                        created_at=now,
                    )
                )

    async def callback(self, call: CallContext, number: str, queue: str | None) -> str | None:
        request = CallbackRequest(
            call_id=await self._record_id(call),
            number=number,
            queue=queue or "",
            requested_at=utcnow(),
        )
        async with self.call_log.db.transaction() as session:
            session.add(request)
            await session.flush()
        return str(request.id)

    async def voicemail(self, call: CallContext, mailbox: str, recording: Recording) -> str | None:
        message = Voicemail(
            call_id=await self._record_id(call),
            mailbox=mailbox,
            recording=str(self.recordings / f"{recording.name}.wav"),
            duration_seconds=recording.duration_seconds,
            created_at=utcnow(),
        )
        async with self.call_log.db.transaction() as session:
            session.add(message)
            await session.flush()
        return str(message.id)
