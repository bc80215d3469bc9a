"""Which machine the numbers came from: they mean little without it."""
import datetime
import os
import platform


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe(redis_version=None):
    """CPU model, cores, Python, OS, Redis, the date, and how busy the machine was."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
        "redis": redis_version,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "load_average_at_start": _load(),
        "note": "A shared development machine: other work was running at the same time, "
                "so absolute numbers are noisy; scenarios are interleaved in rounds so that "
                "noise hits them alike, and the ratios are what to compare.",
    }
