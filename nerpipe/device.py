"""Choosing the torch device a user asked for, with clear errors."""

from __future__ import annotations

import re

import torch

from .errors import UsageError


def resolve_device(name: str | None, flag: str = "--device") -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto`` (CUDA, then MPS, then CPU); None: the CPU.
    ``flag``: how the caller named the setting, for the messages (``--device`` on the
    command line, ``device=`` from Python)."""
    if name is None:
        return torch.device("cpu")
    if not isinstance(name, str):
        raise TypeError(f"device: expected a name (cpu, cuda, cuda:N, mps, auto) or a torch.device, got {type(name).__name__}")
    name = name.strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if re.fullmatch(r"cpu(?::\d+)?", name):  # (torch has one CPU device, whatever the index)
        return torch.device("cpu")
    match = re.fullmatch(r"cuda(?::(\d+))?", name)
    if match:
        if not torch.cuda.is_available():
            why = "this torch build has no CUDA support" if torch.version.cuda is None else "no CUDA GPU is visible"
            raise UsageError(f"{_named(flag, name)}: CUDA is not available ({why}); use {_named(flag, 'cpu')} or "
                             f"{_named(flag, 'auto') if flag.endswith('=') else 'auto'}")
        index = int(match.group(1) or 0)
        if index >= torch.cuda.device_count():
            count = torch.cuda.device_count()
            raise UsageError(f"{_named(flag, name)}: only {count} CUDA device(s) (cuda:0..cuda:{count - 1})")
        return torch.device("cuda", index)
    if name == "mps":
        if getattr(torch.backends, "mps", None) is None or not torch.backends.mps.is_available():
            raise UsageError(f"{_named(flag, 'mps')}: Apple's MPS backend is not available here; use {_named(flag, 'cpu')} "
                             f"or {_named(flag, 'auto') if flag.endswith('=') else 'auto'}")
        return torch.device("mps")
    raise UsageError(f"{flag}{name!r}: expected cpu, cuda, cuda:N, mps or auto" if flag.endswith("=") else
                     f"{flag} {name!r}: expected cpu, cuda, cuda:N, mps or auto")


def _named(flag: str, value: str) -> str:
    """``--device cuda`` on the command line, ``device='cuda'`` from Python."""
    return f"{flag}{value!r}" if flag.endswith("=") else f"{flag} {value}"


def check_device(device: torch.device, flag: str = "--device") -> torch.device:
    """``device`` itself, if this machine has it; else the error :func:`resolve_device` gives."""
    if device.type in ("cuda", "mps"):
        resolve_device(device.type if device.index is None else f"{device.type}:{device.index}", flag)
    return device


def as_device(device: torch.device | str | None) -> torch.device:
    """The device a library call was given (``load_model``, ``Tagger.to``, ``train``): a
    torch.device, or a name as :func:`resolve_device` takes it; errors name ``device=``."""
    return check_device(device, "device=") if isinstance(device, torch.device) else resolve_device(device, "device=")
