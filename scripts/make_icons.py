"""Draw the extension and task icons (PNG, no imaging library needed).

Run once after changing a colour or the glyph; the PNGs are committed. A tiny rasteriser with
4x4 supersampling: a rounded square in the task's colour with a white ``</>`` glyph, so the
tasks look alike in the task picker but can be told apart.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Task name -> RGB background.
TASK_COLOURS: dict[str, tuple[int, int, int]] = {
    "ApiOpsBuildExtractor": (0x5C, 0x6B, 0x7A),
    "ApiOpsCreateArtifacts": (0x00, 0x78, 0xD4),
    "ApiOpsCreateTemplateBranch": (0x8A, 0x3F, 0xC2),
    "ApiOpsCreator": (0x10, 0x7C, 0x10),
    "ApiOpsTerminator": (0xC5, 0x30, 0x30),
    "ApiOpsPublish": (0xD8, 0x7B, 0x00),
}
EXTENSION_COLOUR = (0x00, 0x5A, 0x9E)


def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


_GLYPH = (  # strokes of "</>" in unit coordinates
    ((0.38, 0.30), (0.20, 0.50)), ((0.20, 0.50), (0.38, 0.70)),
    ((0.62, 0.30), (0.80, 0.50)), ((0.80, 0.50), (0.62, 0.70)),
    ((0.56, 0.24), (0.44, 0.76)),
)


def _pixel(x: float, y: float, colour: tuple[int, int, int]) -> tuple[float, float, float, float]:
    radius, inset = 0.18, 0.03
    cx = min(max(x, inset + radius), 1 - inset - radius)
    cy = min(max(y, inset + radius), 1 - inset - radius)
    if math.hypot(x - cx, y - cy) > radius:
        return (0.0, 0.0, 0.0, 0.0)
    if min(_segment_distance(x, y, *a, *b) for a, b in _GLYPH) < 0.055:
        return (255.0, 255.0, 255.0, 255.0)
    return (*map(float, colour), 255.0)


def render(size: int, colour: tuple[int, int, int], samples: int = 4) -> bytes:
    rows = []
    for j in range(size):
        row = bytearray([0])  # filter type 0 per scanline
        for i in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sj in range(samples):
                for si in range(samples):
                    r, g, b, a = _pixel((i + (si + 0.5) / samples) / size, (j + (sj + 0.5) / samples) / size, colour)
                    acc[0] += r * a; acc[1] += g * a; acc[2] += b * a; acc[3] += a
            alpha = acc[3] / samples**2
            rgb = [int(round(c / acc[3])) if acc[3] else 0 for c in acc[:3]]
            row += bytes([*rgb, int(round(alpha))])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> int:
    for name, colour in TASK_COLOURS.items():
        with open(os.path.join(ROOT, "tasks", name, name + "V1", "icon.png"), "wb") as handle:
            handle.write(render(32, colour))
    os.makedirs(os.path.join(ROOT, "images"), exist_ok=True)
    with open(os.path.join(ROOT, "images", "extension-icon.png"), "wb") as handle:
        handle.write(render(128, EXTENSION_COLOUR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
