#!/usr/bin/env python3
"""Draws the extension's icon, media/icon.png (128x128 RGBA): a counterclockwise arrow around a
rewind glyph over a timeline with a playhead. Plain Python (zlib writes the PNG), 4x4
supersampling for the edges. Run: python3 scripts/make-icon.py [OUT.png]"""
import math
import struct
import sys
import zlib

SIZE = 128
SS = 4  # samples per pixel side

BG_TOP = (37, 52, 94)
BG_BOTTOM = (14, 20, 41)
ARC = (79, 209, 197)
GLYPH = (240, 244, 250)
LINE = (120, 140, 180)
HEAD = (246, 173, 85)

CX, CY = 64.0, 54.0  # arrow circle centre (y grows downwards)
R_IN, R_OUT = 29.0, 38.0
GAP_FROM, GAP_TO = 62.0, 118.0  # degrees (y up) left open at the top; the arrowhead ends at GAP_FROM


def rounded_rect(x, y, x0, y0, x1, y1, r):
    dx = max(x0 + r - x, 0.0, x - (x1 - r))
    dy = max(y0 + r - y, 0.0, y - (y1 - r))
    return dx * dx + dy * dy <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def in_triangle(px, py, a, b, c):
    def side(p1, p2):
        return (px - p2[0]) * (p1[1] - p2[1]) - (p1[0] - p2[0]) * (py - p2[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


def arc_angle(x, y):
    return math.degrees(math.atan2(CY - y, x - CX)) % 360.0


def on_arc(x, y):
    r = math.hypot(x - CX, y - CY)
    if not R_IN <= r <= R_OUT:
        return False
    a = arc_angle(x, y)
    return not GAP_FROM < a < GAP_TO


def arrowhead():
    t = math.radians(GAP_FROM)
    mid = (R_IN + R_OUT) / 2
    px, py = CX + mid * math.cos(t), CY - mid * math.sin(t)
    # counterclockwise tangent (y down): (-sin t, -cos t)
    tx, ty = -math.sin(t), -math.cos(t)
    nx, ny = math.cos(t), -math.sin(t)  # outward normal
    half, length = 13.0, 17.0
    base = (px - tx * 2, py - ty * 2)
    return (
        (base[0] + nx * half, base[1] + ny * half),
        (base[0] - nx * half, base[1] - ny * half),
        (px + tx * length, py + ty * length),
    )


HEAD_TRI = arrowhead()
# the rewind glyph: two triangles pointing left, centred in the circle
REWIND = [
    ((48.0, CY), (64.0, CY - 12.0), (64.0, CY + 12.0)),
    ((63.0, CY), (79.0, CY - 12.0), (79.0, CY + 12.0)),
]
TIMELINE_Y = 107.0
TICKS = [30.0, 47.0, 64.0, 81.0, 98.0]
PLAYHEAD = (47.0, TIMELINE_Y)


def sample(x, y):
    """The colour at (x, y), or None outside the icon."""
    if not rounded_rect(x, y, 4, 4, 124, 124, 24):
        return None
    t = (y - 4) / 120
    col = tuple(BG_TOP[i] + (BG_BOTTOM[i] - BG_TOP[i]) * t for i in range(3))
    if 24 <= x <= 104 and abs(y - TIMELINE_Y) <= 1.6:
        col = LINE
    for tx in TICKS:
        if abs(x - tx) <= 1.4 and abs(y - TIMELINE_Y) <= 5.5:
            col = LINE
    if math.hypot(x - PLAYHEAD[0], y - PLAYHEAD[1]) <= 6.5:
        col = HEAD
    if on_arc(x, y) or in_triangle(x, y, *HEAD_TRI):
        col = ARC
    for tri in REWIND:
        if in_triangle(x, y, *tri):
            col = GLYPH
    return col


def render():
    rows = []
    for py in range(SIZE):
        row = bytearray()
        for px in range(SIZE):
            acc = [0.0, 0.0, 0.0]
            hits = 0
            for sy in range(SS):
                for sx in range(SS):
                    c = sample(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS)
                    if c is None:
                        continue
                    hits += 1
                    for i in range(3):
                        acc[i] += c[i]
            if hits == 0:
                row += bytes((0, 0, 0, 0))
            else:
                row += bytes([round(acc[i] / hits) for i in range(3)] + [round(255 * hits / (SS * SS))])
        rows.append(bytes(row))
    return rows


def png(rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "media/icon.png"
    with open(out, "wb") as f:
        f.write(png(render()))
    print(out)
