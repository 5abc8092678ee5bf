"""Line terminators as source maps count generated and original lines (ECMA-262's:
CRLF, LF, CR, U+2028, U+2029)."""

import re

LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029]")

__all__ = ["LINE_BREAK"]
