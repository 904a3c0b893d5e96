"""REST routes of rooms (runs/rooms.py) and the teacher's stream.

The room id is the credential of the join and read routes, so they are not behind the server token (a student
has only the link); creating a room needs the token when one is set. Teacher routes need the teacher key in the
X-Glassnet-Teacher header; the teacher's stream reads it from its first message (no key in a URL).
"""

import asyncio
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request, Response, WebSocket, WebSocketDisconnect, status
from fastapi.exceptions import RequestValidationError

from glassnet.api.deps import caller_of
from glassnet.api.room_schemas import (
    Joined,
    JoinRequest,
    RoomAction,
    RoomCreate,
    RoomCreated,
    RoomInfo,
    RoomSetup,
    RoomTeacherView,
    StudentOut,
)
from glassnet.api.schemas import ErrorOut
from glassnet.runs.owners import KEY_HEADER, Forbidden, Unauthorized
from glassnet.runs.room_tiles import TileSender
from glassnet.runs.rooms import TEACHER_HEADER, NameTaken, RoomNotFound, Rooms, named
from glassnet.runs.rules import InvalidRequest

router = APIRouter(prefix="/rooms", tags=["rooms"])
stream_router = APIRouter()
STREAM_PERIOD = 0.25  # seconds between the teacher stream's messages
FIRST_MESSAGE_TIMEOUT = 10.0  # seconds a teacher stream waits for its key

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No open room has this id (unknown, or expired)"}}
TEACHER: Responses = {
    **NOT_FOUND,
    403: {"model": ErrorOut, "description": f"The {TEACHER_HEADER} header is missing or not this room's key"},
}
TeacherKey = Annotated[
    str | None, Header(alias=TEACHER_HEADER, description="The teacher key the room's creation returned")
]


def get_rooms(request: Request) -> Rooms:
    return request.app.state.rooms


RoomsDep = Annotated[Rooms, Depends(get_rooms)]


def _creator(request: Request) -> None:
    """With a server token set, only its holder creates rooms (an owner key is not enough)."""
    settings = request.app.state.settings
    caller = caller_of(settings, request.app.state.keys, request.headers, request.query_params)
    if settings.token is not None and not caller.admin:
        raise Unauthorized("creating a room needs the server token: send 'Authorization: Bearer <token>'")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RoomCreated,
    responses={401: {"model": ErrorOut, "description": "A token is set and was not sent"}},
    dependencies=[Depends(_creator)],
    summary="Create a room for a class: its join link and its teacher key (shown once)",
)
def create_room(body: RoomCreate, rooms: RoomsDep) -> dict:
    limit = rooms.settings.room_max_days
    if body.days > limit:
        raise InvalidRequest(f"days: {body.days:g} is over the limit of {limit:g} (GLASSNET_ROOM_MAX_DAYS)")
    config = body.config.model_dump(mode="json") if body.config is not None else None
    room, key = rooms.create(body.title, config, body.lesson, body.days)
    return {
        "room": room.info(),
        "teacher_key": key,
        "join_path": f"/#room={room.id}",
        "teacher_path": f"/#room={room.id}&teacher={key}",
    }


@router.get("/{room_id}", response_model=RoomInfo, responses=NOT_FOUND, summary="A room, as its students see it")
def get_room(room_id: str, rooms: RoomsDep) -> dict:
    return rooms.get(room_id).info()


@router.post(
    "/{room_id}/join",
    status_code=status.HTTP_201_CREATED,
    response_model=Joined,
    responses={
        **NOT_FOUND,
        200: {"model": Joined, "description": "A student already in the room (its key sent): renamed"},
        429: {"model": ErrorOut, "description": "Too many joins this minute (the room's, or the address's)"},
    },
    summary="Join a room with a display name: the answer holds the student's owner key",
)
def join_room(room_id: str, body: JoinRequest, request: Request, response: Response, rooms: RoomsDep) -> dict:
    key = request.headers.get(KEY_HEADER)
    owner = request.app.state.keys.owner_of(key) if key is not None else None
    address = request.client.host if request.client else "unknown"
    try:
        room, student, new_key = rooms.join(room_id, body.name, address, owner)
    except NameTaken as exc:  # (answered as pydantic's refusals are: the field and the message)
        raise RequestValidationError([{"loc": ("body", "name"), "msg": str(exc), "type": "value_error"}]) from None
    if new_key is None:
        response.status_code = status.HTTP_200_OK
    return {"room": room.info(), "student": student.info(), "owner_key": new_key}


@router.get(
    "/{room_id}/me",
    response_model=StudentOut,
    responses=NOT_FOUND,
    summary="The student the caller's owner key is in this room",
)
def me(room_id: str, request: Request, rooms: RoomsDep) -> dict:
    room = rooms.get(room_id)
    key = request.headers.get(KEY_HEADER)
    owner = request.app.state.keys.owner_of(key) if key is not None else None
    if owner is None or owner not in room.students:
        raise RoomNotFound(f"your owner key is not a student's of {named(room_id)}: join it first")
    return room.students[owner].info()


@router.get(
    "/{room_id}/teacher",
    response_model=RoomTeacherView,
    responses=TEACHER,
    summary="The teacher's view: the students and their runs with results",
)
def teacher_view(room_id: str, rooms: RoomsDep, teacher: TeacherKey = None) -> dict:
    return rooms.teacher_view(rooms.as_teacher(room_id, teacher, read_only=True))


@router.put(
    "/{room_id}/setup",
    response_model=RoomInfo,
    responses=TEACHER,
    summary="Send a setup (a config) or a lesson to everyone: the students' pages switch to it",
)
def set_setup(room_id: str, body: RoomSetup, rooms: RoomsDep, teacher: TeacherKey = None) -> dict:
    room = rooms.as_teacher(room_id, teacher)
    config = body.config.model_dump(mode="json") if body.config is not None else None
    return rooms.set_setup(room, config, body.lesson).info()


@router.post(
    "/{room_id}/runs/{action}",
    response_model=RoomAction,
    responses=TEACHER,
    summary="Pause, resume or stop every student's run",
)
async def act(
    room_id: str, action: Literal["pause", "resume", "stop"], rooms: RoomsDep, teacher: TeacherKey = None
) -> dict:
    done = await rooms.act(rooms.as_teacher(room_id, teacher), action)
    return {"affected": len(done), "runs": done}


@router.get(
    "/{room_id}/results.csv",
    responses={**TEACHER, 200: {"content": {"text/csv": {}}, "description": "One row per run"}},
    summary="The results table as CSV: a row per run (student, status, steps, test loss and accuracy, changes)",
)
def results_csv(room_id: str, rooms: RoomsDep, teacher: TeacherKey = None) -> Response:
    room = rooms.as_teacher(room_id, teacher, read_only=True)
    headers = {"Content-Disposition": 'attachment; filename="glassnet-room-results.csv"'}
    return Response(rooms.results_csv(room), media_type="text/csv", headers=headers)


@router.get(
    "/{room_id}/export",
    responses={**TEACHER, 200: {"content": {"application/json": {}}, "description": "The room, its runs' histories"}},
    summary="Everything the room holds (its runs with their histories); its data is then kept past its expiry",
)
def export_room(room_id: str, rooms: RoomsDep, teacher: TeacherKey = None) -> Response:
    room = rooms.as_teacher(room_id, teacher, read_only=True)
    headers = {"Content-Disposition": 'attachment; filename="glassnet-room.json"'}
    return Response(json.dumps(rooms.export(room)), media_type="application/json", headers=headers)


@router.delete(
    "/{room_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=TEACHER,
    summary="End the room now: its runs stop, and their data goes unless the room was exported",
)
async def end_room(room_id: str, rooms: RoomsDep, teacher: TeacherKey = None) -> Response:
    await rooms.end(rooms.as_teacher(room_id, teacher))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@stream_router.websocket("/rooms/{room_id}/stream")
async def room_stream(websocket: WebSocket, room_id: str) -> None:
    """The teacher's tiles (room_schemas.RoomMessage) every STREAM_PERIOD seconds; the key is the client's first
    message, {"teacher_key": ...}."""
    rooms: Rooms = websocket.app.state.rooms
    await websocket.accept()
    try:
        first = await asyncio.wait_for(websocket.receive_text(), FIRST_MESSAGE_TIMEOUT)
        key = json.loads(first).get("teacher_key") if first.startswith("{") else None
        room = rooms.as_teacher(room_id, key if isinstance(key, str) else None, read_only=True)
    except (RoomNotFound, Forbidden, TimeoutError, json.JSONDecodeError) as exc:
        detail = str(exc) if isinstance(exc, RoomNotFound | Forbidden) else 'send {"teacher_key": ...} first'
        await websocket.send_text(json.dumps({"type": "error", "detail": detail}))
        await websocket.close(code=4404 if isinstance(exc, RoomNotFound) else 4403)
        return
    except WebSocketDisconnect:
        return
    sender = TileSender(rooms, room)
    try:
        while not room.expired or room.kept:
            await websocket.send_text(sender.message())
            await asyncio.sleep(STREAM_PERIOD)
        await websocket.close()
    except (WebSocketDisconnect, RuntimeError):
        return
