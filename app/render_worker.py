"""Entry point of the Markdown helper process (see app/rendering.py)."""

import sys

from app.rendering import serve_renders

if __name__ == "__main__":
    sys.setrecursionlimit(2000)
    serve_renders(sys.stdin.buffer, sys.stdout.buffer)
