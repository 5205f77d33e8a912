"""A small pure-Python JPEG writer for tests: any sampling factors, any progressive scan script.

Pillow's encoder offers three chroma subsamplings and one progressive scan script; libjpeg's
``cjpeg`` (custom scan scripts, odd sampling factors) is not installed everywhere. This writer
makes the files the decoder must cope with from numpy alone: 4:4:1, 4:1:0, h3v1, chroma
sampled more finely than luma, and progressive scan scripts that leave coefficients
unrefined. It favours clarity over speed (fine for images of a few thousand pixels).

Example::

    data = encode_jpeg(image, sampling=((1, 4), (1, 1), (1, 1)))
    data = encode_jpeg(image, scans=UNREFINED_SCANS)       # progressive (SOF2)
"""

from __future__ import annotations

import math
import struct

import numpy as np

#: Zigzag order: ``ZIGZAG[k]`` is the natural (row-major) index of the k-th coefficient.
ZIGZAG = np.array(
    [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
     35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63]
)  # fmt: skip

_LUMA_Q = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
     18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
)  # fmt: skip
_CHROMA_Q = np.array([17, 18, 24, 47] + [99] * 4 + [18, 21, 26, 66] + [99] * 4 + [24, 26, 56] + [99] * 5 + [47, 66] + [99] * 38)

#: A progressive script that never refines: DC at Al=1, then one AC scan per component at Al=1.
UNREFINED_SCANS = (((0, 1, 2), 0, 0, 0, 1), ((0,), 1, 63, 0, 1), ((1,), 1, 63, 0, 1), ((2,), 1, 63, 0, 1))

#: libjpeg's ``jpeg_simple_progression`` for three components (every coefficient refined).
FULL_SCANS = (
    ((0, 1, 2), 0, 0, 0, 1),
    ((0,), 1, 5, 0, 2),
    ((2,), 1, 63, 0, 1),
    ((1,), 1, 63, 0, 1),
    ((0,), 6, 63, 0, 2),
    ((0,), 1, 63, 2, 1),
    ((0, 1, 2), 0, 0, 1, 0),
    ((2,), 1, 63, 1, 0),
    ((1,), 1, 63, 1, 0),
    ((0,), 1, 63, 1, 0),
)


def _dct_matrix() -> np.ndarray:
    k, n = np.mgrid[0:8, 0:8].astype(np.float64)
    matrix = np.cos((2 * n + 1) * k * math.pi / 16) * 0.5
    matrix[0] *= 1 / math.sqrt(2)
    return matrix


_DCT = _dct_matrix()


def quant_table(base: np.ndarray, quality: int) -> np.ndarray:
    """libjpeg's quality scaling of a base table (natural order), values in [1, 255]."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip((base * scale + 50) // 100, 1, 255).astype(np.int64)


def _ycbcr(image: np.ndarray) -> list[np.ndarray]:
    rgb = image.astype(np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    return [y, cb, cr]


class _Component:
    """One component's sampling, quantized coefficients ``[rows, cols, 64]`` (zigzag order) and size."""

    def __init__(self, plane: np.ndarray, h: int, v: int, hmax: int, vmax: int, mcus: tuple[int, int], table: np.ndarray, tq: int):
        height, width = plane.shape
        self.h, self.v, self.tq = h, v, tq
        # The component's own size, as a decoder computes it: ceil(size * factor / max factor).
        self.width, self.height = -(-width * h // hmax), -(-height * v // vmax)
        self.blocks_x, self.blocks_y = -(-self.width // 8), -(-self.height // 8)
        fy, fx = vmax // v, hmax // h
        padded = np.pad(plane, ((0, (-height) % fy), (0, (-width) % fx)), mode="edge")
        small = padded.reshape(padded.shape[0] // fy, fy, padded.shape[1] // fx, fx).mean(axis=(1, 3))[: self.height, : self.width]
        rows, cols = mcus[0] * v * 8, mcus[1] * h * 8  # the interleaved scans' extent (whole MCUs)
        full = np.pad(small, ((0, rows - small.shape[0]), (0, cols - small.shape[1])), mode="edge") - 128
        blocks = full.reshape(rows // 8, 8, cols // 8, 8).transpose(0, 2, 1, 3)
        dct = np.einsum("ij,abjk,lk->abil", _DCT, blocks, _DCT).reshape(rows // 8, cols // 8, 64)
        self.coefs = np.rint(dct / table.reshape(64)).astype(np.int64)[:, :, ZIGZAG]


class _Bits:
    """An entropy-coded segment: bits MSB first, 0xFF bytes stuffed, padded with 1-bits."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc, self.count = 0, 0

    def put(self, value: int, length: int) -> None:
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.count += 1
            if self.count == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc, self.count = 0, 0

    def finish(self) -> bytes:
        if self.count:
            self.put((1 << (8 - self.count)) - 1, 8 - self.count)
        return bytes(self.out)


def _universal_table(symbols: int) -> tuple[list[int], list[int], dict[int, tuple[int, int]]]:
    """A Huffman table giving every symbol in ``range(symbols)`` a code (none all ones).

    Returns ``(counts per length 1..16, symbols in code order, symbol -> (code, length))``.
    """
    if symbols <= 16:
        lengths = [5] * symbols
    else:
        lengths = [8] * (symbols - 2) + [9, 10]
    counts = [lengths.count(n) for n in range(1, 17)]
    codes, code, previous = {}, 0, lengths[0]
    for symbol, length in enumerate(lengths):
        code <<= length - previous
        previous = length
        codes[symbol] = (code, length)
        code += 1
    return counts, list(range(symbols)), codes


_DC_TABLE = _universal_table(16)
_AC_TABLE = _universal_table(256)


def _magnitude(value: int) -> tuple[int, int]:
    """JPEG's (size category, extra bits) of a signed value."""
    size = abs(value).bit_length()
    return size, (value if value >= 0 else value + (1 << size) - 1)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def encode_jpeg(
    image: np.ndarray,
    sampling=((2, 2), (1, 1), (1, 1)),
    quality: int = 90,
    scans=None,
    restart_interval: int = 0,
    exif: bytes | None = None,
) -> bytes:
    """Encode an HWC uint8 RGB (or HW gray) image as a JPEG.

    Args:
        image: ``(H, W, 3)`` uint8 RGB (stored as YCbCr) or ``(H, W)`` uint8 gray.
        sampling: ``(h, v)`` sampling factors per component (1 to 4; the maximum factor
            must be an integer multiple of each component's).
        quality: libjpeg's 1-100 quality scale.
        scans: None for a baseline (sequential) file; else a progressive scan script, a
            sequence of ``(components, Ss, Se, Ah, Al)``.
        restart_interval: MCUs between restart markers (0: none); baseline files only.
        exif: The TIFF body of an EXIF block (``PIL.Image.Exif().tobytes()``) to embed.

    Returns:
        The file's bytes.
    """
    gray = image.ndim == 2
    planes = [image.astype(np.float64)] if gray else _ycbcr(image)
    sampling = tuple(sampling[: len(planes)])
    height, width = planes[0].shape
    hmax, vmax = max(h for h, _ in sampling), max(v for _, v in sampling)
    mcus = (-(-height // (8 * vmax)), -(-width // (8 * hmax)))
    tables = [quant_table(_LUMA_Q, quality), quant_table(_CHROMA_Q, quality)]
    comps = [_Component(p, h, v, hmax, vmax, mcus, tables[min(i, 1)], min(i, 1)) for i, (p, (h, v)) in enumerate(zip(planes, sampling))]
    out = bytearray(b"\xff\xd8")
    out += _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if exif is not None:
        out += _segment(0xE1, b"Exif\x00\x00" + exif)
    for tq, table in enumerate(tables[: 1 if gray else 2]):
        out += _segment(0xDB, bytes([tq]) + bytes(int(table[z]) for z in ZIGZAG))
    sof = struct.pack(">BHHB", 8, height, width, len(comps))
    sof += b"".join(bytes([i + 1, (c.h << 4) | c.v, c.tq]) for i, c in enumerate(comps))
    out += _segment(0xC2 if scans is not None else 0xC0, sof)
    for tc, (counts, values, _) in ((0, _DC_TABLE), (1, _AC_TABLE)):
        out += _segment(0xC4, bytes([(tc << 4) | 0]) + bytes(counts) + bytes(values))
    if restart_interval and scans is None:
        out += _segment(0xDD, struct.pack(">H", restart_interval))
    for scan in scans if scans is not None else [(tuple(range(len(comps))), 0, 63, 0, 0)]:
        members, ss, se, ah, al = scan
        header = bytes([len(members)]) + b"".join(bytes([m + 1, 0x00]) for m in members) + bytes([ss, se, (ah << 4) | al])
        out += _segment(0xDA, header)
        out += _scan_data(comps, members, ss, se, ah, al, mcus, restart_interval if scans is None else 0)
    out += b"\xff\xd9"
    return bytes(out)


def _scan_blocks(comps, members, mcus):
    """Yield ``(component index, block coefficients)`` in the scan's order, one list per MCU."""
    if len(members) == 1:  # non-interleaved: the component's own blocks, one per MCU
        c = comps[members[0]]
        for by in range(c.blocks_y):
            for bx in range(c.blocks_x):
                yield [(members[0], c.coefs[by, bx])]
        return
    for my in range(mcus[0]):
        for mx in range(mcus[1]):
            mcu = []
            for m in members:
                c = comps[m]
                for dy in range(c.v):
                    for dx in range(c.h):
                        mcu.append((m, c.coefs[my * c.v + dy, mx * c.h + dx]))
            yield mcu


def _scan_data(comps, members, ss, se, ah, al, mcus, restart_interval) -> bytes:
    bits = _Bits()
    out = bytearray()
    last_dc = dict.fromkeys(members, 0)
    for number, mcu in enumerate(_scan_blocks(comps, members, mcus)):
        if restart_interval and number and number % restart_interval == 0:
            out += bits.finish() + bytes([0xFF, 0xD0 + (number // restart_interval - 1) % 8])
            bits = _Bits()
            last_dc = dict.fromkeys(members, 0)
        for m, block in mcu:
            if ss == 0 and ah == 0:  # DC first (or baseline DC)
                value = int(block[0]) >> al
                size, extra = _magnitude(value - last_dc[m])
                last_dc[m] = value
                bits.put(*_DC_TABLE[2][size])
                bits.put(extra, size)
            elif ss == 0:  # DC refinement
                bits.put((int(block[0]) >> al) & 1, 1)
            if se == 0:
                continue
            if ah == 0:
                _ac_first(bits, block, max(ss, 1), se, al)
            else:
                _ac_refine(bits, block, ss, se, al)
    return bytes(out) + bits.finish()


def _ac_first(bits: _Bits, block: np.ndarray, ss: int, se: int, al: int) -> None:
    run = 0
    for k in range(ss, se + 1):
        value = int(block[k])
        magnitude = abs(value) >> al
        if magnitude == 0:
            run += 1
            continue
        while run > 15:
            bits.put(*_AC_TABLE[2][0xF0])
            run -= 16
        size, extra = _magnitude(magnitude if value > 0 else -magnitude)
        bits.put(*_AC_TABLE[2][(run << 4) | size])
        bits.put(extra, size)
        run = 0
    if run:
        bits.put(*_AC_TABLE[2][0x00])  # EOB (a run of one block)


def _ac_refine(bits: _Bits, block: np.ndarray, ss: int, se: int, al: int) -> None:
    """One block of an AC refinement scan, as libjpeg's ``encode_mcu_AC_refine`` (EOB runs of 1)."""
    absolute = [abs(int(block[k])) >> al for k in range(ss, se + 1)]
    last_new = max((i for i, a in enumerate(absolute) if a == 1), default=-1)
    run, pending = 0, []
    for i, magnitude in enumerate(absolute):
        if magnitude == 0:
            run += 1
            continue
        while run > 15 and i <= last_new:
            bits.put(*_AC_TABLE[2][0xF0])
            run -= 16
            for bit in pending:
                bits.put(bit, 1)
            pending = []
        if magnitude > 1:  # already nonzero: one correction bit, sent with the next symbol
            pending.append(magnitude & 1)
            continue
        bits.put(*_AC_TABLE[2][(run << 4) | 1])
        bits.put(1 if int(block[ss + i]) > 0 else 0, 1)
        for bit in pending:
            bits.put(bit, 1)
        pending, run = [], 0
    if run or pending:
        bits.put(*_AC_TABLE[2][0x00])
        for bit in pending:
            bits.put(bit, 1)


def random_scan_script(rng: np.random.Generator, components: int, refine: float = 0.5) -> tuple:
    """A valid progressive scan script, drawn at random; coefficients may stay unrefined.

    DC comes first (interleaved, or one scan per component), then each component's AC
    coefficients in one to three spectral bands, each sent at a successive-approximation
    level ``Al`` of 0-2 and refined, with probability ``refine`` per step, towards ``Al = 0``.
    The scans of different components and bands interleave in a random order that keeps each
    band's own order.

    Args:
        rng: The generator.
        components: Number of components (1 or 3).
        refine: Probability of sending each refinement scan.

    Returns:
        A scan script for ``encode_jpeg(..., scans=...)``.
    """
    dc_al = int(rng.integers(0, 3))
    interleaved = components == 1 or rng.random() < 0.7
    dc_groups = [tuple(range(components))] if interleaved else [(c,) for c in range(components)]
    scans = [(group, 0, 0, 0, dc_al) for group in dc_groups]
    dc_chain = []
    for al in range(dc_al, 0, -1):
        if rng.random() >= refine:
            break
        dc_chain += [(group, 0, 0, al, al - 1) for group in dc_groups]
    chains = [dc_chain]
    for c in range(components):
        cuts = sorted({int(x) for x in rng.integers(2, 63, size=int(rng.integers(0, 3)))})
        edges = [1, *cuts, 64]
        for ss, stop in zip(edges[:-1], edges[1:]):
            al = int(rng.integers(0, 3))
            chain = [((c,), ss, stop - 1, 0, al)]
            for level in range(al, 0, -1):
                if rng.random() >= refine:
                    break
                chain.append(((c,), ss, stop - 1, level, level - 1))
            chains.append(chain)
    while any(chains):
        live = [chain for chain in chains if chain]
        scans.append(live[int(rng.integers(0, len(live)))].pop(0))
    return tuple(scans)
