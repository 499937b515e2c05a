"""``/v1/jobs``: uploads being indexed (state, passages done and to do, rate, error)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ragqa.service.deps import JobsDep, require_writer
from ragqa.service.errors import ApiError, error_responses
from ragqa.service.schemas import JobList, JobOut, job_out

router = APIRouter(prefix="/v1/jobs", tags=["documents"], dependencies=[Depends(require_writer)],
                   responses=error_responses(403))


@router.get("", response_model=JobList)
def list_jobs(jobs: JobsDep) -> JobList:
    """The uploads of this server, newest first: unfinished ones and the last finished."""
    return JobList(jobs=[job_out(job) for job in jobs.list()])


@router.get("/{job_id}", response_model=JobOut, responses=error_responses(404))
def get_job(job_id: str, jobs: JobsDep) -> JobOut:
    """One upload's job: ``queued``, ``running`` (passages done / total, rate), ``done``
    (the write's status and generation), ``failed`` or ``cancelled`` (with ``error``)."""
    job = jobs.get(job_id)
    if job is None:
        raise ApiError(404, "unknown_job", f"no job {job_id!r}; GET /v1/jobs lists them")
    return job_out(job)
