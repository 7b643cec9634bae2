package cli

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// Colour, kept minimal: in the key table the header is bold and "never"
// in LAST USED is dim. Only when stdout is a terminal, and never with
// NO_COLOR set (no-color.org) or TERM=dumb. The escapes are added below
// cleanWriter, which strips every control character from the text: they
// are ours, fixed, and never come from the API.
const (
	sgrBold  = "\x1b[1m"
	sgrDim   = "\x1b[2m"
	sgrReset = "\x1b[0m"
)

// wantColour reports whether the table may be coloured.
func wantColour(e env) bool {
	return e.stdoutTerminal && e.getenv("NO_COLOR") == "" && e.getenv("TERM") != "dumb"
}

// tableColour passes stdout's text through, and once table() was called
// (and colour is on) colours the table that follows: its first line is the
// header. It receives whole lines: cleanWriter holds partial ones.
type tableColour struct {
	w  io.Writer
	on bool // colour allowed at all

	mu       sync.Mutex
	active   bool // table() was called
	sawHead  bool
	neverCol int // rune offset of LAST USED; -1 when the header lacks it
}

func newTableColour(w io.Writer, on bool) *tableColour {
	return &tableColour{w: w, on: on, neverCol: -1}
}

// table says that the next line written is the header of a key table.
func (c *tableColour) table() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active, c.sawHead = c.on, false
}

func (c *tableColour) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.active {
		return c.w.Write(p)
	}
	n := len(p)
	var out bytes.Buffer
	for len(p) > 0 {
		line := p
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			line = p[:i+1]
		}
		c.colourLine(&out, line)
		p = p[len(line):]
	}
	if _, err := c.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return n, nil
}

// colourLine writes one line of the table, coloured.
func (c *tableColour) colourLine(out *bytes.Buffer, line []byte) {
	text := bytes.TrimSuffix(line, []byte("\n"))
	nl := line[len(text):]
	if !c.sawHead {
		c.sawHead = true
		if i := bytes.Index(text, []byte("LAST USED")); i >= 0 {
			c.neverCol = utf8.RuneCount(text[:i])
		}
		out.WriteString(sgrBold)
		out.Write(text)
		out.WriteString(sgrReset)
		out.Write(nl)
		return
	}
	at := byteOffset(text, c.neverCol)
	if c.neverCol >= 0 && at >= 0 && bytes.HasPrefix(text[at:], []byte("never")) &&
		(len(text) == at+5 || text[at+5] == ' ') {
		out.Write(text[:at])
		out.WriteString(sgrDim + "never" + sgrReset)
		out.Write(text[at+5:])
		out.Write(nl)
		return
	}
	out.Write(line)
}

// byteOffset is the byte offset of rune number n in b, or -1 when b is
// shorter (tabwriter pads by rune count, so the header's rune offset of a
// column is every row's).
func byteOffset(b []byte, n int) int {
	if n < 0 {
		return -1
	}
	off := 0
	for i := 0; i < n; i++ {
		if off >= len(b) {
			return -1
		}
		_, size := utf8.DecodeRune(b[off:])
		off += size
	}
	if off >= len(b) {
		return -1
	}
	return off
}
