"""The rooms' API models (runs/rooms.py): what a teacher and the students send and get, and the teacher's stream."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from glassnet.config import ExperimentConfig
from glassnet.lessons import LESSONS
from glassnet.protocol import Dense
from glassnet.runs.rooms import MAX_NAME, MAX_TITLE, TEACHER_HEADER, clean_name
from glassnet.runs.status import RunStatus

from .schemas import Figure


class RoomSetup(BaseModel):
    """What every student starts from: a config, or a lesson (neither: the server's default config)."""

    model_config = ConfigDict(extra="forbid")
    config: ExperimentConfig | None = Field(None, description="The setup the students' playground loads.")
    lesson: str | None = Field(None, description="A lesson id (GET /api/lessons) the students' page opens.")

    @field_validator("lesson")
    @classmethod
    def _known_lesson(cls, lesson: str | None) -> str | None:
        if lesson is not None and lesson not in LESSONS:
            raise ValueError(f"unknown lesson {lesson!r}; one of {', '.join(LESSONS)}")
        return lesson

    @model_validator(mode="after")
    def _one_setup(self) -> "RoomSetup":
        if self.config is not None and self.lesson is not None:
            raise ValueError("give a config or a lesson, not both")
        return self


class RoomCreate(RoomSetup):
    title: str = Field(min_length=1, max_length=MAX_TITLE, description="What the students see, e.g. the class.")
    days: float = Field(
        1.0, gt=0, description="Days until the room expires (at most GLASSNET_ROOM_MAX_DAYS; /api/health says it)."
    )

    @field_validator("title")
    @classmethod
    def _title(cls, title: str) -> str:
        title = title.strip()
        if not title:
            raise ValueError("a title is 1 to 80 characters; this one is empty")
        return title


class RoomInfo(BaseModel):
    id: str
    title: str
    config: ExperimentConfig | None
    lesson: str | None
    setup_version: int = Field(description="Grows with each setup the teacher sends: a student's page switches to it.")
    created_at: str
    expires_at: str = Field(description="When its runs stop and its data goes (unless kept).")
    status: Literal["open", "expired"]
    students: int
    kept: bool = Field(description="Its teacher exported it: its data outlives its expiry.")


class RoomCreated(BaseModel):
    room: RoomInfo
    teacher_key: str = Field(
        description=f"Shown once (the server keeps only its hash): send it as the {TEACHER_HEADER} header."
    )
    join_path: str = Field(description="The students' link, on this server: the room id sits in its fragment.")
    teacher_path: str = Field(description="The teacher's link (the room id and the key in its fragment).")


class JoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description=f"The student's display name: 1 to {MAX_NAME} characters, shown as text.")

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return clean_name(name)


class StudentOut(BaseModel):
    id: str = Field(description="The owner id of the student's key (RunInfo.owner of its runs).")
    name: str
    joined_at: str


class Joined(BaseModel):
    room: RoomInfo
    student: StudentOut
    owner_key: str | None = Field(
        description="The student's owner key (send it as X-Glassnet-Owner); null when the caller already had it."
    )


class ConfigChange(BaseModel):
    field: str = Field(description="The setting's dotted path, e.g. optimizer.lr.")
    setup: Any = Field(description="The room's setup's value.")
    run: Any = Field(description="The run's value.")


class RoomRun(BaseModel):
    run_id: str
    student_id: str
    student: str
    name: str
    status: RunStatus
    step: int
    steps_total: int | None
    created_at: str
    summary: dict[str, Figure]
    changes: list[ConfigChange] = Field(description="How the run's settings differ from the room's setup.")


class RoomTeacherView(BaseModel):
    room: RoomInfo
    students: list[StudentOut]
    runs: list[RoomRun] = Field(description="The students' runs, newest first.")


class RoomAction(BaseModel):
    affected: int
    runs: list[str] = Field(description="The ids of the runs it acted on.")


class TileView(BaseModel):
    kind: Literal["grid", "curve"] = Field(description="A 2-D task's decision boundary, or a 1-D fitted curve.")
    dense: Dense
    extent: list[float] | None = Field(description="plane: [x1min, x1max, x2min, x2max]; curve: [xmin, xmax, ...]")
    classes: int


class Tile(BaseModel):
    run_id: str
    student_id: str
    student: str
    status: RunStatus
    step: int
    steps_total: int | None
    loss: list[float | None] = Field(description="The training loss, up to 60 points, oldest first.")
    test_loss: float | None
    accuracy: float | None
    view: TileView | None = Field(
        None, description="Present only when it changed since the last message to this client: keep the last one."
    )


class RoomMessage(BaseModel):
    """The teacher's stream (WS /api/rooms/{id}/stream), a few times a second: one tile per student (its newest
    run)."""

    type: Literal["room"] = "room"
    room: RoomInfo
    students: list[StudentOut]
    tiles: list[Tile]
