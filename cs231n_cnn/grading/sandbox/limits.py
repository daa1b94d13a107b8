"""What one submission's worker may use: memory, CPU and wall time, output sizes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass
class Limits:
    """Resource limits for the student's process and the time limits the grader enforces."""

    memory_mb: int = 4096            # RLIMIT_AS of the worker
    check_timeout: float = 60.0      # wall seconds for one check (all its calls)
    call_timeout: float | None = None  # wall seconds for one call (default: what is left of the check's)
    total_timeout: float = 1200.0    # wall seconds for the whole submission
    startup_timeout: float = 60.0    # importing the submission's package
    cpu_seconds: int | None = None   # RLIMIT_CPU of one worker process (default: total_timeout)
    max_response_mb: int = 512       # largest frame accepted from the worker
    file_size_mb: int = 64           # RLIMIT_FSIZE, and the size of the private /tmp
    nproc: int = 64                  # RLIMIT_NPROC where it is enforced (not for root)
    log_bytes: int = 8192            # student output kept per check

    def describe(self) -> str:
        return (f"{self.memory_mb} MiB memory, {self.check_timeout:g} s per check, "
                f"{self.total_timeout:g} s per submission")
