"""Server settings, read from GLASSNET_* environment variables."""

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

STATIC_DIR = Path(__file__).parent / "static"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GLASSNET_")

    host: str = Field("127.0.0.1", description="Address to listen on; 0.0.0.0 in Docker.")
    port: int = Field(8000, ge=1, le=65535)
    max_runs: int = Field(
        4,
        ge=1,
        le=4096,
        description="Runs that may be active (running or paused) at once, counted by what they cost: a run alone "
        "(its own worker process) counts 1, a run trained in a cohort with others of its architecture 1/16 (so "
        "the default lets 64 small runs of a class train at once). A run paused for want of a viewer makes way for "
        "a new one (it stops, and can continue later).",
    )
    max_runs_per_owner: int = Field(
        2,
        ge=1,
        le=4096,
        description="Active runs one owner may have (a run paused for want of a viewer does not count; a sweep or a "
        "seed band counts as one).",
    )
    cohorts: bool = Field(
        True,
        description="Train new runs that share an architecture together as one batched model (a cohort); off: "
        "every run trains alone in its own worker process.",
    )
    max_memory_mb: int = Field(
        512, ge=16, le=1_048_576, description="Memory one cohort's members may take (estimated), in MiB."
    )
    max_sweep: int = Field(256, ge=1, le=4096, description="Members one sweep may have (its grid's size).")
    idle_pause_s: float = Field(
        60, gt=0, le=86_400, description="A leased run (one started from the page) pauses after this long unwatched."
    )
    idle_stop_s: float = Field(
        1800, gt=0, le=604_800, description="A run paused for want of a viewer stops after this long still unwatched."
    )
    owner_keys_per_minute: int = Field(
        60, ge=1, le=100_000, description="Owner keys the server issues per minute to one client address."
    )
    previews_per_minute: int = Field(
        120,
        ge=1,
        le=100_000,
        description="Previews of the untrained network (POST /api/preview) the server computes per minute for one "
        "owner key (else one client address); the page asks for one at each change of settings.",
    )
    room_max_days: float = Field(
        7, gt=0, le=366, description="The longest a room (a teacher's class) may last before it expires, in days."
    )
    room_joins_per_minute: int = Field(
        600, ge=1, le=100_000, description="Joins one room accepts per minute (a class joining at once fits)."
    )
    room_joins_per_address: int = Field(
        300,
        ge=1,
        le=100_000,
        description="Room joins per minute from one client address (generous: a class may sit behind one address).",
    )
    room_max_students: int = Field(300, ge=1, le=10_000, description="Students one room may have.")
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=0,
        le=64,
        description="Idle worker processes kept ready with torch imported (default: the number of cores).",
    )
    data_dir: Path = Field(
        default_factory=lambda: Path.home() / ".glassnet", description="Where the run database and weights live."
    )
    torch_threads: int = Field(1, ge=1, le=256, description="torch threads per worker process.")
    ws_compression: bool = Field(
        False,
        description="Compress the streams' frames (permessage-deflate) for clients that offer it, as browsers do: "
        "less traffic over slow links, but the server compresses every frame once for each client, CPU that a "
        "class on one server needs for training (bench/classroom.py measures both).",
    )
    token: str | None = Field(
        None,
        min_length=8,
        description="When set, every REST call and stream needs it (Bearer header, or ?token=) or an owner key "
        "issued under it; it is also the admin key, which may change any run.",
    )
    max_body_bytes: int = Field(1 << 20, ge=1024, description="Largest request body (JSON) in bytes.")
    max_upload_bytes: int = Field(5 << 20, ge=1024, description="Largest dataset upload (CSV) in bytes.")
    static_dir: Path = Field(STATIC_DIR, description="The built UI.")
    ray_address: str | None = Field(
        None,
        description="Train on a Ray cluster instead of local worker processes: `auto`, or the head's host:port "
        "(e.g. ray-head:6379). Needs the ray extra (pip install glassnet[ray]). Unset: local processes, no ray.",
    )
    ray_runs_per_actor: int = Field(
        8,
        ge=1,
        le=256,
        description="Runs (a cohort counts as one) one Ray actor hosts at once; an actor takes one CPU of its node.",
    )
