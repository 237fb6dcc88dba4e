"""``ember.hub``: the model-zoo cache, verified weight downloads and local ``hubconf.py`` loading.

Mirrors ``torch.hub`` with one deliberate exception: code is never fetched from the network
(``source='github'`` raises), only a local directory's ``hubconf.py`` is imported. Weight files
are declared in the registry (``register_weights``) and downloaded through the same verified,
resumable, locked path as datasets (``ember.utils.download``).

Example:
    >>> import ember
    >>> ember.hub.get_dir().endswith("hub")
    True
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import zipfile
from urllib.parse import urlparse

from .utils._archive import extract_zip
from .utils._download_http import fetch
from .utils._download_paths import get_hub_dir, set_hub_dir
from .utils._download_registry import (
    HASH_IN_NAME,
    RegistryEntry,
    RemoteFile,
    get_entry,
    register_weights,
    registry,
)
from .utils._download_verify import compare_digests, file_digests

__all__ = ["get_dir", "set_dir", "download_url_to_file", "load_state_dict_from_url", "load",
           "list", "help", "register_weights", "registry", "get_entry", "RegistryEntry",
           "RemoteFile", "HASH_REGEX"]

HASH_REGEX = HASH_IN_NAME  # torch.hub.HASH_REGEX: the sha256 prefix in <name>-<prefix>.<ext>


def get_dir() -> str:
    """The hub cache directory: the ``set_dir`` value, else ``$EMBER_HOME/hub``.

    ``$EMBER_HOME`` defaults to ``$XDG_CACHE_HOME/ember``, i.e. ``~/.cache/ember``; weight
    files live in ``get_dir()/checkpoints``.
    """
    return get_hub_dir()


def set_dir(d) -> None:
    """Use ``d`` as the hub directory for the rest of this process (``~`` is expanded)."""
    set_hub_dir(d)


def download_url_to_file(url, dst, hash_prefix=None, progress=True) -> None:
    """Download ``url`` to ``dst``; if ``hash_prefix`` is given, the sha256 must start with it.

    Unlike ``torch.hub``, the download is resumed after a cut connection, retried with
    back-off, locked against concurrent processes, refused when the server sends an HTML page,
    and skipped when ``dst`` already holds a matching file.

    Args:
        url (str): the URL.
        dst (str): destination path.
        hash_prefix (str, optional): leading hex digits of the expected sha256.
        progress (bool, optional): tqdm progress bar on stderr. Default: ``True``.

    Raises:
        IntegrityError: the sha256 does not start with ``hash_prefix`` (``dst`` is not written).
        DownloadError: the download failed (``OfflineError`` when offline).

    Example:
        >>> import os, pathlib, tempfile
        >>> dst = os.path.join(tempfile.mkdtemp(), "w.bin")
        >>> _ = pathlib.Path(dst).write_bytes(b"abc")  # already cached: no request
        >>> download_url_to_file("https://example.invalid/w.bin", dst, hash_prefix="ba7816bf")
    """
    fetch([url], dst, sha256=hash_prefix, progress=progress)


def _is_legacy_zip_format(path) -> bool:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
        return len(infos) == 1 and not infos[0].is_dir()
    return False


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=True):
    """Download (once) and ``ember.load`` the checkpoint at ``url``.

    The file is cached as ``model_dir/<file_name or URL basename>``. With ``check_hash`` the
    name must follow ``<name>-<sha256 prefix>.<ext>`` and the file must match the prefix; a
    cached file is verified too (once: the result is remembered in ``<file>.verified``). A zip
    holding a single file (PyTorch's legacy zipped checkpoints) is extracted and that file is
    loaded.

    Args:
        url (str): the checkpoint's URL.
        model_dir (str, optional): cache directory. Default: ``get_dir()/checkpoints``.
        map_location: passed to ``ember.load``.
        progress (bool, optional): progress bar. Default: ``True``.
        check_hash (bool, optional): verify the sha256 prefix in the file name. Default:
            ``False``.
        file_name (str, optional): cache file name. Default: the URL's basename.
        weights_only (bool, optional): passed to ``ember.load``. Default: ``True`` (PyTorch's
            default is ``False``).

    Returns:
        what ``ember.load`` returns, normally a state dict.

    Raises:
        ValueError: ``check_hash`` is set but the file name carries no ``-<hex>.`` prefix.
        IntegrityError: the file does not match the prefix.
        DownloadError: the download failed.
    """
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    model_dir = os.path.expanduser(os.fspath(model_dir))
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    hash_prefix = None
    if check_hash:
        match = HASH_REGEX.search(filename)
        if match is None:
            # NOTE: torch.hub silently skips the check here; a check the caller asked for and
            # that cannot happen is an error
            raise ValueError(f"load_state_dict_from_url: check_hash=True needs a file name "
                             f"like <name>-<sha256 prefix>.<ext>, got {filename!r}")
        hash_prefix = match.group(1)
    fetch([url], cached, sha256=hash_prefix, progress=progress)
    if hash_prefix is not None:  # fetch kept an existing file only if it matched
        compare_digests(cached, file_digests(cached), sha256=hash_prefix)
    import ember

    if _is_legacy_zip_format(cached):
        with zipfile.ZipFile(cached) as zf:
            member = zf.infolist()[0].filename
        extract_zip(cached, model_dir)  # same member checks as extract_archive
        cached = os.path.join(model_dir, *member.split("/"))
    return ember.load(cached, map_location=map_location, weights_only=weights_only)


# --- hubconf.py over a local directory --------------------------------------------------------

_REMOTE_REFUSAL = ("ember.hub never downloads and runs remote code (source='github'). Clone "
                   "the repository yourself, read its hubconf.py, then call "
                   "ember.hub.{fn}(<local directory>, ..., source='local')")


_GITHUB_SPEC = re.compile(r"^[\w.-]+/[\w.-]+(:[\w./-]+)?$")


@contextlib.contextmanager
def _on_sys_path(path):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(path)


def _import_hubconf(repo_or_dir, source, fn):
    source = source.lower() if isinstance(source, str) else source
    if source == "github":
        raise RuntimeError(_REMOTE_REFUSAL.format(fn=fn))
    if source != "local":
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    repo_or_dir = os.fspath(repo_or_dir)
    if not os.path.isdir(repo_or_dir) and _GITHUB_SPEC.match(repo_or_dir):
        raise RuntimeError(f"{repo_or_dir!r} is not a local directory; "
                           + _REMOTE_REFUSAL.format(fn=fn))
    hubconf = os.path.join(repo_or_dir, "hubconf.py")
    if not os.path.isfile(hubconf):
        raise FileNotFoundError(f"ember.hub.{fn}: no hubconf.py in {repo_or_dir!r}")
    directory = os.path.dirname(os.path.abspath(hubconf))
    with _on_sys_path(directory):
        spec = importlib.util.spec_from_file_location("hubconf", hubconf)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    missing = [d for d in getattr(module, "dependencies", [])
               if importlib.util.find_spec(d) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    return module, directory


def _entry(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    func = getattr(module, model, None)
    if func is None or not callable(func):
        available = ", ".join(_entrypoints(module)) or "none"
        raise RuntimeError(f"Cannot find callable {model} in hubconf (available: {available})")
    return func


def _entrypoints(module):
    return [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True,
         *, source="local"):
    """Names of the callables in ``<github>/hubconf.py`` (a local directory).

    Args:
        github (str): a local directory holding ``hubconf.py`` (the name is PyTorch's).
        force_reload, skip_validation, trust_repo, verbose: accepted for compatibility; they
            only concern remote repositories, which ember never fetches.
        source (str): ``"local"``; ``"github"`` raises. Default: ``"local"``.

    Raises:
        RuntimeError: ``source='github'``, or a ``dependencies`` package is not installed.
        FileNotFoundError: the directory has no ``hubconf.py``.
    """
    module, _ = _import_hubconf(github, source, "list")
    return _entrypoints(module)


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None, *,
         source="local"):
    """The docstring of entrypoint ``model`` of a local ``hubconf.py`` (see ``list``)."""
    module, _ = _import_hubconf(github, source, "help")
    return _entry(module, model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """Call entrypoint ``model`` of ``<repo_or_dir>/hubconf.py`` with ``*args, **kwargs``.

    Only ``source='local'`` is supported: ``'github'`` (PyTorch's default, kept so that calls
    written for PyTorch fail loudly) raises instead of downloading and executing remote code.

    Raises:
        RuntimeError: ``source='github'``; missing dependencies; ``model`` is not a callable
            of the hubconf (the available ones are listed).
        ValueError: ``source`` is neither ``'github'`` nor ``'local'``.

    Example:
        >>> import os, pathlib, tempfile
        >>> d = tempfile.mkdtemp()
        >>> _ = pathlib.Path(d, "hubconf.py").write_text("def double(x):\\n    return 2 * x\\n")
        >>> load(d, "double", 21, source="local")
        42
    """
    module, directory = _import_hubconf(repo_or_dir, source, "load")
    func = _entry(module, model)
    with _on_sys_path(directory):
        return func(*args, **kwargs)

