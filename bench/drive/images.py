"""Writes the drive benchmark's inputs: a photo-like JPEG of the given size (smooth gradients
and noise, as a camera's output compresses), and a multipart upload body holding it.
Usage: images.py WIDTH HEIGHT OUT.jpg BODY TOKEN BOUNDARY"""
import io, random, sys
from PIL import Image, ImageFilter

w, h, out, body, token, boundary = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
rnd = random.Random(7)
small = Image.new("RGB", (64, 48))
small.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(64 * 48)])
img = small.resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(2))
noise = Image.effect_noise((w, h), 24).convert("RGB")
img = Image.blend(img, noise, 0.15)
buf = io.BytesIO()
img.save(buf, "JPEG", quality=88)
data = buf.getvalue()
open(out, "wb").write(data)
parts = []
for name, value in (("i", token), ("force", "true")):
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode() + data + b"\r\n")
parts.append(f"--{boundary}--\r\n".encode())
open(body, "wb").write(b"".join(parts))
