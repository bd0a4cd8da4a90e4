# Draws the PNG app icons (a white "M" stroke on the accent colour) without any image library.
import math, struct, sys, zlib

def icon(size):
    bg, fg = (0x5f, 0x7f, 0x00), (255, 255, 255)
    pts = [(14, 46), (14, 20), (24, 34), (32, 22), (40, 34), (50, 20), (50, 46)]
    pts = [(x * size / 64, y * size / 64) for x, y in pts]
    w = 3 * size / 64
    def dist(px, py, a, b):
        (ax, ay), (bx, by) = a, b
        dx, dy = bx - ax, by - ay
        t = max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
        return math.hypot(px - ax - t * dx, py - ay - t * dy)
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            d = min(dist(x + .5, y + .5, pts[i], pts[i + 1]) for i in range(len(pts) - 1))
            a = max(0.0, min(1.0, w - d + .5))
            row += bytes(round(b + (f - b) * a) for b, f in zip(bg, fg))
        rows.append(bytes(row))
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', size, size, 8, 2, 0, 0, 0)) + \
        chunk(b'IDAT', zlib.compress(b''.join(rows), 9)) + chunk(b'IEND', b'')

for size in (192, 512):
    open(f'{sys.argv[1]}/icon-{size}.png', 'wb').write(icon(size))
