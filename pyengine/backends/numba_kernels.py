"""Private ``@njit`` kernels of the Numba back end.

Every kernel follows ``docs/numerics.md`` operation for operation: float32 embedding
(``np.float32`` constants, so that no literal promotes a product to float64), float32
``|s - e|`` converted to float64 before weighting, numpy's 8-accumulator pairwise order
for the mean. ``fastmath`` stays off (``pyengine._config``), so LLVM neither reassociates
nor contracts to fused multiply-add.

Sample embeddings come in two layouts, both built once per sample set:

``planes``
    float32 ``(3, 23, S)``: ``planes[axis, j, s]``; stage 1 scans it with the sample as
    the innermost, contiguous index, which LLVM vectorises.
``flat``
    float32 ``(S, 69)``: the embeddings in C order, ``k = 3 * j + axis``, for the exact
    numpy-order mean of stage 2 (only ``top_n_by_max_distance`` rows per frame).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._config import NUMBA_FLAGS, NUMBA_PARALLEL_FLAGS
from ..landmarks import EMBEDDING_PAIR_INDEX, LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER

_PAIRS = EMBEDDING_PAIR_INDEX  # frozen into the kernels as a constant array
_N_LANDMARKS = 33
_N_EMBED = 23
_N_FLAT = 69


@njit(**NUMBA_FLAGS)
def _all_finite(lm):
    for i in range(_N_LANDMARKS):
        for c in range(3):
            if not np.isfinite(lm[i, c]):
                return False
    return True


@njit(**NUMBA_FLAGS)
def _nan_max(a, b):
    # np.max propagates NaN; a NaN pose size then makes the embedding non-finite.
    if np.isnan(a) or a >= b:
        return a
    return b


@njit(**NUMBA_FLAGS)
def _centered_copy(lm, mirror, work):
    """``work = lm * (sign, 1, 1) - hip midpoint``, in float32."""
    half = np.float32(0.5)
    sign = np.float32(-1.0) if mirror else np.float32(1.0)
    for i in range(_N_LANDMARKS):
        work[i, 0] = lm[i, 0] * sign
        work[i, 1] = lm[i, 1]
        work[i, 2] = lm[i, 2]
    for c in range(3):
        center = (work[LEFT_HIP, c] + work[RIGHT_HIP, c]) * half
        for i in range(_N_LANDMARKS):
            work[i, c] = work[i, c] - center


@njit(**NUMBA_FLAGS)
def _pose_size(work, torso_size_multiplier):
    """``max(torso * multiplier, max_dist)`` on x, y, as the reference rounds it."""
    half = np.float32(0.5)
    hx = (work[LEFT_HIP, 0] + work[RIGHT_HIP, 0]) * half
    hy = (work[LEFT_HIP, 1] + work[RIGHT_HIP, 1]) * half
    dx = (work[LEFT_SHOULDER, 0] + work[RIGHT_SHOULDER, 0]) * half - hx
    dy = (work[LEFT_SHOULDER, 1] + work[RIGHT_SHOULDER, 1]) * half - hy
    torso = np.sqrt(dx * dx + dy * dy)
    max_dist = np.float32(0.0)
    for i in range(_N_LANDMARKS):
        px = work[i, 0] - hx
        py = work[i, 1] - hy
        max_dist = _nan_max(max_dist, np.sqrt(px * px + py * py))
    # float32 torso times a Python float is a double; Python's max() then keeps the
    # double unless max_dist is larger, and the in-place division rounds it to float32.
    scaled_torso = np.float64(torso) * torso_size_multiplier
    return max_dist if max_dist > scaled_torso else np.float32(scaled_torso)


@njit(**NUMBA_FLAGS)
def _differences(work, out):
    """Rows of the embedding from normalised landmarks; whether all are finite."""
    half = np.float32(0.5)
    for c in range(3):
        shoulders = (work[LEFT_SHOULDER, c] + work[RIGHT_SHOULDER, c]) * half
        hips = (work[LEFT_HIP, c] + work[RIGHT_HIP, c]) * half
        out[0, c] = shoulders - hips
    for p in range(_N_EMBED - 1):
        a = _PAIRS[p, 0]
        b = _PAIRS[p, 1]
        for c in range(3):
            out[p + 1, c] = work[b, c] - work[a, c]
    for j in range(_N_EMBED):
        for c in range(3):
            if not np.isfinite(out[j, c]):
                return False
    return True


@njit(**NUMBA_FLAGS)
def embed_into(lm, mirror, torso_size_multiplier, work, out):
    """Embed one ``(33, 3)`` pose into ``out`` ``(23, 3)``; return whether it is valid.

    ``mirror`` negates x first (the query times ``(-1, 1, 1)``). ``work`` is a float32
    ``(33, 3)`` scratch array. ``out`` is left unspecified for an invalid pose.
    """
    if not _all_finite(lm):
        return False
    _centered_copy(lm, mirror, work)
    size = _pose_size(work, torso_size_multiplier)
    if not size > 0:
        return False
    hundred = np.float32(100.0)
    for i in range(_N_LANDMARKS):
        for c in range(3):
            work[i, c] = (work[i, c] / size) * hundred
    return _differences(work, out)


@njit(**NUMBA_FLAGS)
def mirror_embedding(e, out):
    """The embedding of the pose times ``(-1, 1, 1)``, from the pose's own embedding ``e``.

    Every float32 step of the embedding is symmetric in the sign of x (round-to-nearest
    is), so mirroring the pose negates the x column exactly; only the sign of a zero may
    differ from embedding the mirrored pose, and ``|s - f|`` does not see it.
    """
    for j in range(_N_EMBED):
        out[j, 0] = -e[j, 0]
        out[j, 1] = e[j, 1]
        out[j, 2] = e[j, 2]


@njit(**NUMBA_FLAGS)
def embed_batch(landmarks, torso_size_multiplier):
    """Embed ``(N, 33, 3)`` poses: float32 ``(N, 23, 3)`` (zero rows if invalid), bool mask."""
    n = landmarks.shape[0]
    out = np.zeros((n, _N_EMBED, 3), dtype=np.float32)
    valid = np.zeros(n, dtype=np.bool_)
    work = np.empty((_N_LANDMARKS, 3), dtype=np.float32)
    for i in range(n):
        valid[i] = embed_into(landmarks[i], False, torso_size_multiplier, work, out[i])
        if not valid[i]:
            out[i, :, :] = 0
    return out, valid


@njit(**NUMBA_FLAGS)
def _max(a, b):
    # Compiles to vmaxps; np.maximum would add NaN blends (no operand here is NaN).
    return a if a > b else b


@njit(**NUMBA_FLAGS)
def _min(a, b):
    return a if a < b else b


@njit(**NUMBA_FLAGS)
def _max3(a, b, c):
    m = a if a >= b else b
    return m if m >= c else c


@njit(**NUMBA_FLAGS)
def _absdiff(row, q, out):
    for s in range(row.shape[0]):
        out[s] = abs(row[s] - q)


@njit(**NUMBA_FLAGS)
def _absdiff_max2(rows, j, q, src, out):
    """``out = max(|rows[j] - q[j]|, |rows[j + 1] - q[j + 1]|, src)``, elementwise.

    Reads ``src`` and writes a different ``out``: an in-place maximum would let LLVM
    turn the store of an unchanged value into a masked store, which is slow on x86.
    """
    r0 = rows[j]
    r1 = rows[j + 1]
    q0 = q[j]
    q1 = q[j + 1]
    for s in range(r0.shape[0]):
        out[s] = _max(_max(abs(r0[s] - q0), abs(r1[s] - q1)), src[s])


@njit(**NUMBA_FLAGS)
def _absdiff_max2_pair(rows, j, e, f, src_e, src_f, out_e, out_f):
    """:func:`_absdiff_max2` for two queries in one pass over the (memory-bound) rows."""
    r0 = rows[j]
    r1 = rows[j + 1]
    e0, e1, f0, f1 = e[j], e[j + 1], f[j], f[j + 1]
    for s in range(r0.shape[0]):
        x0 = r0[s]
        x1 = r1[s]
        out_e[s] = _max(_max(abs(x0 - e0), abs(x1 - e1)), src_e[s])
        out_f[s] = _max(_max(abs(x0 - f0), abs(x1 - f1)), src_f[s])


@njit(**NUMBA_FLAGS)
def axis_maxima(rows, q, tmp, out):
    """``out[s] = max_j |rows[j, s] - q[j]|`` in float32 (one axis); ``tmp`` is ``(2, S)``."""
    _absdiff(rows[0], q[0], tmp[0])
    src = 0
    for j in range(1, _N_EMBED - 2, 2):
        _absdiff_max2(rows, j, q, tmp[src], tmp[1 - src])
        src = 1 - src
    _absdiff_max2(rows, _N_EMBED - 2, q, tmp[src], out)


@njit(**NUMBA_FLAGS)
def axis_maxima_pair(rows, e, f, tmp, out_e, out_f):
    """:func:`axis_maxima` for two queries at once; ``tmp`` is ``(4, S)``."""
    _absdiff(rows[0], e[0], tmp[0])
    _absdiff(rows[0], f[0], tmp[1])
    src = 0
    for j in range(1, _N_EMBED - 2, 2):
        dst = 2 - 2 * src
        _absdiff_max2_pair(rows, j, e, f, tmp[2 * src], tmp[2 * src + 1], tmp[dst], tmp[dst + 1])
        src = 1 - src
    _absdiff_max2_pair(rows, _N_EMBED - 2, e, f, tmp[2 * src], tmp[2 * src + 1], out_e, out_f)


@njit(**NUMBA_FLAGS)
def max_distances(e, f, planes, weights, acc, out):
    """Stage 1 for every sample: ``out[s] = min(max D(s, e), max D(s, f))`` (float64).

    ``f`` is :func:`mirror_embedding` of ``e``: their y and z columns are equal, so
    ``min(max(xe, y, z), max(xf, y, z)) = max(min(xe, xf), y, z)`` and y, z are scanned
    once. Per axis the maxima of ``|s - e|`` are taken in float32 and weighted
    afterwards, which is exact because ``x -> (double)x * w`` is monotone for ``w >= 0``.
    ``weights[:3]`` are the x, y, z weights; ``acc`` is float32 ``(8, S)`` scratch.
    """
    tmp = acc[4:]
    axis_maxima_pair(planes[0], e[:, 0], f[:, 0], tmp, acc[0], acc[1])
    axis_maxima(planes[1], e[:, 1], tmp, acc[2])
    axis_maxima(planes[2], e[:, 2], tmp, acc[3])
    wx, wy, wz = weights[0], weights[1], weights[2]
    for s in range(planes.shape[2]):
        x = _min(acc[0, s], acc[1, s])
        out[s] = _max3(np.float64(x) * wx, np.float64(acc[2, s]) * wy, np.float64(acc[3, s]) * wz)
    return out


@njit(**NUMBA_FLAGS)
def _weighted(row, q, w69, k):
    return np.float64(abs(row[k] - q[k])) * w69[k]


@njit(**NUMBA_FLAGS)
def mean_distance(row, q, w69):
    """``np.mean(np.abs(row - q) * w)`` over the 69 values, in numpy's summation order."""
    r0 = _weighted(row, q, w69, 0)
    r1 = _weighted(row, q, w69, 1)
    r2 = _weighted(row, q, w69, 2)
    r3 = _weighted(row, q, w69, 3)
    r4 = _weighted(row, q, w69, 4)
    r5 = _weighted(row, q, w69, 5)
    r6 = _weighted(row, q, w69, 6)
    r7 = _weighted(row, q, w69, 7)
    for i in range(8, 64, 8):
        r0 += _weighted(row, q, w69, i)
        r1 += _weighted(row, q, w69, i + 1)
        r2 += _weighted(row, q, w69, i + 2)
        r3 += _weighted(row, q, w69, i + 3)
        r4 += _weighted(row, q, w69, i + 4)
        r5 += _weighted(row, q, w69, i + 5)
        r6 += _weighted(row, q, w69, i + 6)
        r7 += _weighted(row, q, w69, i + 7)
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(64, _N_FLAT):
        total += _weighted(row, q, w69, i)
    return total / 69.0


@njit(**NUMBA_FLAGS)
def _block_bound(dist, n_keep, scratch):
    """An upper bound on the ``n_keep``-th smallest of ``dist`` (``inf`` if none is cheap).

    The ``n_keep``-th smallest of the minima of blocks of 8: ``n_keep`` distinct values
    lie at or below it. Samples above it cannot be kept, and skipping them spares most
    insertions when distances fall along the sample order (samples grouped by class).
    """
    count = 0
    worst = np.inf
    for b in range(dist.shape[0] // 8):
        m = dist[8 * b]
        for i in range(8 * b + 1, 8 * b + 8):
            m = _min(m, dist[i])
        if count < n_keep:
            pos = count
            count += 1
        elif m < worst:
            pos = n_keep - 1
        else:
            continue
        while pos > 0 and scratch[pos - 1] > m:
            scratch[pos] = scratch[pos - 1]
            pos -= 1
        scratch[pos] = m
        if count == n_keep:
            worst = scratch[n_keep - 1]
    return worst


@njit(**NUMBA_FLAGS)
def select_smallest(dist, n_keep, keep_dist, keep_idx):
    """The ``n_keep`` smallest ``(dist[s], s)`` pairs, ascending, into ``keep_*``.

    A bounded insertion buffer: samples arrive in index order, so an equal distance
    never displaces an earlier sample (lexicographic order on the pair).
    """
    if n_keep <= 0:
        return 0
    bound = _block_bound(dist, n_keep, keep_dist)
    count = 0
    worst = np.inf  # keep_dist[n_keep - 1] once the buffer is full
    for s in range(dist.shape[0]):
        d = dist[s]
        if d > bound:
            continue
        if count < n_keep:
            pos = count
            count += 1
        elif d < worst:
            pos = n_keep - 1
        else:
            continue
        while pos > 0 and keep_dist[pos - 1] > d:
            keep_dist[pos] = keep_dist[pos - 1]
            keep_idx[pos] = keep_idx[pos - 1]
            pos -= 1
        keep_dist[pos] = d
        keep_idx[pos] = s
        if count == n_keep:
            worst = keep_dist[n_keep - 1]
    return count


@njit(**NUMBA_FLAGS)
def sort_pairs(dist, idx, n):
    """Insertion-sort the first ``n`` ``(dist, idx)`` pairs lexicographically, in place."""
    for i in range(1, n):
        d = dist[i]
        k = idx[i]
        pos = i
        while pos > 0 and (dist[pos - 1] > d or (dist[pos - 1] == d and idx[pos - 1] > k)):
            dist[pos] = dist[pos - 1]
            idx[pos] = idx[pos - 1]
            pos -= 1
        dist[pos] = d
        idx[pos] = k


@njit(**NUMBA_FLAGS)
def classify_frame(
    frame,
    planes,
    flat,
    w69,
    torso_size_multiplier,
    n_max,
    work,
    e,
    f,
    acc,
    dmax,
    keep_dist,
    keep_idx,
    out_idx,
):
    """Two-stage k-NN of one frame; writes ``len(out_idx)`` sample indices, returns validity.

    ``e``/``f`` are float32 ``(23, 3)``, ``acc`` float32 ``(8, S)``, ``dmax`` float64
    ``(S,)``, ``keep_dist``/``keep_idx`` ``(n_max,)``: per-thread scratch.
    """
    if not embed_into(frame, False, torso_size_multiplier, work, e):
        return False
    mirror_embedding(e, f)
    max_distances(e, f, planes, w69, acc, dmax)  # w69 starts with the 3 weights
    n1 = select_smallest(dmax, n_max, keep_dist, keep_idx)
    e_flat = e.reshape(_N_FLAT)
    f_flat = f.reshape(_N_FLAT)
    for i in range(n1):
        row = flat[keep_idx[i]]
        me = mean_distance(row, e_flat, w69)
        mf = mean_distance(row, f_flat, w69)
        keep_dist[i] = mf if mf < me else me
    sort_pairs(keep_dist, keep_idx, n1)
    for i in range(out_idx.shape[0]):
        out_idx[i] = keep_idx[i]
    return True


@njit(**NUMBA_FLAGS)
def classify_range(
    frames,
    lo,
    hi,
    planes,
    flat,
    w69,
    torso_size_multiplier,
    n_max,
    class_ids,
    out_idx,
    out_counts,
    out_valid,
):
    """Classify ``frames[lo:hi]`` into the output rows, with scratch of its own."""
    n_samples = planes.shape[2]
    work = np.empty((_N_LANDMARKS, 3), dtype=np.float32)
    e = np.empty((_N_EMBED, 3), dtype=np.float32)
    f = np.empty((_N_EMBED, 3), dtype=np.float32)
    acc = np.empty((8, n_samples), dtype=np.float32)
    dmax = np.empty(n_samples, dtype=np.float64)
    keep_dist = np.empty(max(n_max, 1), dtype=np.float64)
    keep_idx = np.empty(max(n_max, 1), dtype=np.int64)
    for fr in range(lo, hi):
        ok = classify_frame(
            frames[fr],
            planes,
            flat,
            w69,
            torso_size_multiplier,
            n_max,
            work,
            e,
            f,
            acc,
            dmax,
            keep_dist,
            keep_idx,
            out_idx[fr],
        )
        out_valid[fr] = ok
        if ok:
            for i in range(out_idx.shape[1]):
                out_counts[fr, class_ids[out_idx[fr, i]]] += 1
        else:
            out_idx[fr, :] = -1


@njit(**NUMBA_FLAGS)
def _outputs(n_frames, k, n_classes):
    return (
        np.full((n_frames, k), -1, dtype=np.int64),
        np.zeros((n_frames, n_classes), dtype=np.int32),
        np.zeros(n_frames, dtype=np.bool_),
    )


@njit(**NUMBA_FLAGS)
def classify_serial(
    frames, planes, flat, w69, torso_size_multiplier, n_max, k, class_ids, n_classes
):
    """Classify every frame on the calling thread: ``(indices, counts, valid)``."""
    idx, counts, valid = _outputs(frames.shape[0], k, n_classes)
    classify_range(
        frames,
        0,
        frames.shape[0],
        planes,
        flat,
        w69,
        torso_size_multiplier,
        n_max,
        class_ids,
        idx,
        counts,
        valid,
    )
    return idx, counts, valid


@njit(**NUMBA_PARALLEL_FLAGS)
def classify_parallel(
    frames, planes, flat, w69, torso_size_multiplier, n_max, k, class_ids, n_classes, n_chunks
):
    """:func:`classify_serial` with ``n_chunks`` contiguous blocks of frames over threads."""
    n_frames = frames.shape[0]
    idx, counts, valid = _outputs(n_frames, k, n_classes)
    for c in prange(n_chunks):
        lo = c * n_frames // n_chunks
        hi = (c + 1) * n_frames // n_chunks
        classify_range(
            frames,
            lo,
            hi,
            planes,
            flat,
            w69,
            torso_size_multiplier,
            n_max,
            class_ids,
            idx,
            counts,
            valid,
        )
    return idx, counts, valid
