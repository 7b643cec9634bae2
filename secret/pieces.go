package secret

import "strings"

// pieceLen is the shortest run of a held secret that is masked on its own.
// An API error that quotes a slice of the credential (a header cut at some
// length) gives away most of it; 16 characters of a random token never turn
// up in other text by chance.
const pieceLen = 16

// blockLen is the unit of the quick scan: any 16-character run of a secret
// holds a whole 8-byte block at an offset that is a multiple of 8, so
// looking at those blocks alone misses no run.
const blockLen = 8

// filterBits sizes the block filter: 2^16 bits, 8 KB. A few secrets set a
// few hundred bits, so an unrelated block passes about one time in 200.
const filterBits = 1 << 16

// pieceIndex finds pieces of held secrets: 16 or more of their characters
// in a row, or spelled out with anything between them. The zero value
// holds nothing.
//
// The skeleton view reads a text's characters of the token alphabet
// ([A-Za-z0-9_], isAlphabet) and skips every other character, so
// "n a p i _ A B C …", one character per line, or with emoji, combining
// marks or unassigned code points between the characters, reads as the
// secret. A window of 16 consecutive skeleton characters that is 16
// consecutive characters of a held secret's skeleton masks the text from
// its first character to its last. Ordinary text never matches: it takes
// 16 characters of a random secret in order (62^16, about 5e28, choices for
// a Neon token; 16^16 for a hex one), while what lies between them, however
// long, is ignored. The visible Mask is a wall: characters on either side
// of one are not read together, so masking twice changes nothing more.
type pieceIndex struct {
	skel  map[string]struct{} // every 16-character window of the secrets' skeletons
	code  *[256]byte          // 1 to 63 for a character of the alphabet, 0 for any other byte
	pairs *[64 * 64]byte      // 1 for the code pairs side by side in a secret's skeleton

	// Runs of token bytes holding '-' (a credential from elsewhere may
	// have one): the skeleton drops '-', so these windows are matched on
	// the raw text. Every other run of a secret is a skeleton window.
	blocks  *[filterBits / 64]uint64 // every 8-byte block of those windows, hashed
	quick   *[filterBits / 64]uint64 // every such 16-character window, hashed: spares most map lookups
	windows map[string]struct{}      // every such 16-character window
}

// isAlphabet reports whether c is in the skeleton's token alphabet:
// [A-Za-z0-9_].
func isAlphabet(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// isTokenByte reports whether c can be part of a token: [A-Za-z0-9_-].
func isTokenByte(c byte) bool { return isAlphabet(c) || c == '-' }

// add indexes the skeleton windows of v, and every 16-character run of
// token characters of v that holds a '-'.
func (p *pieceIndex) add(v string) {
	skel := skeleton(v)
	for i := 0; i+pieceLen <= len(skel); i++ {
		if p.skel == nil {
			// Sized for v's windows: a request's scoped redactor
			// indexes one credential, and growing the map step by step
			// was most of that cost.
			p.initSkeleton(len(skel) - pieceLen + 1)
		}
		w := skel[i : i+pieceLen]
		p.skel[w] = struct{}{}
		for j := 1; j < pieceLen; j++ {
			p.pairs[int(p.code[w[j-1]])<<6|int(p.code[w[j]])] = 1
		}
	}
	run := 0
	for i := 0; i < len(v); i++ {
		if !isTokenByte(v[i]) {
			run = 0
			continue
		}
		run++
		if run < pieceLen || strings.IndexByte(v[i+1-pieceLen:i+1], '-') < 0 {
			continue
		}
		if p.windows == nil {
			p.windows = map[string]struct{}{}
			p.blocks = new([filterBits / 64]uint64)
			p.quick = new([filterBits / 64]uint64)
		}
		start := i + 1 - pieceLen
		p.windows[strings.Clone(v[start:i+1])] = struct{}{}
		setBit(p.quick, windowHash(v, start))
		for b := start; b+blockLen <= i+1; b++ {
			setBit(p.blocks, blockHash(load64(v, b)))
		}
	}
}

// initSkeleton numbers the alphabet and makes the skeleton's tables.
func (p *pieceIndex) initSkeleton(windows int) {
	p.skel = make(map[string]struct{}, windows)
	p.code = new([256]byte)
	p.pairs = new([64 * 64]byte)
	next := byte(1)
	for c := range 256 {
		if isAlphabet(byte(c)) {
			p.code[c] = next
			next++
		}
	}
}

// skeleton returns the characters of v in the token alphabet.
func skeleton(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if isAlphabet(v[i]) {
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// mask replaces every piece of a held secret in s.
func (p *pieceIndex) mask(s string) string {
	return p.maskRuns(p.maskSkeleton(s))
}

// maskSkeleton masks every span of s whose skeleton holds a window of a
// held secret's skeleton, from the window's first character to its last.
// Text on either side of a Mask is read apart. It reads every text: a
// window may span any separator (a space, a comma, a line break: the
// characters of every text), so no cheaper scan could rule one out.
func (p *pieceIndex) maskSkeleton(s string) string {
	if p.skel == nil || len(s) < pieceLen {
		return s
	}
	var spans [][2]int
	for from := 0; from < len(s); {
		to := len(s)
		if m := strings.Index(s[from:], Mask); m >= 0 {
			to = from + m
		}
		spans = p.skeletonSpans(s, from, to, spans)
		from = to + len(Mask)
	}
	return maskSpans(s, spans)
}

// skeletonChunk is how many bytes of text skeletonSpans reads at a time.
const skeletonChunk = 256

// skeletonSpans appends to spans the spans of s[from:to] that match, in
// two passes over each chunk of the text, neither with a branch that
// depends on the kind of byte (a text alternates between alphabet and
// punctuation all the time, and a mispredicted branch per byte would triple
// the cost): the first copies the chunk's alphabet characters and their
// offsets (every byte is written, only an alphabet character moves on); the
// second counts how many of them in a row pair up as they do in a secret.
// Fewer than one pair in 20 does for a few random secrets, so only a chain
// of 16, rare outside a secret, is looked up. No allocation unless
// something matches.
func (p *pieceIndex) skeletonSpans(s string, from, to int, spans [][2]int) [][2]int {
	const keep = pieceLen - 1 // characters carried into the next chunk
	var (
		chars [keep + skeletonChunk + 1]byte
		at    [keep + skeletonChunk + 1]int
		k     int // characters in chars
		chain int // pairs in a row, ending at chars[k-1], that occur in a secret
	)
	code, pairs := p.code, p.pairs
	for base := from; base < to; base += skeletonChunk {
		if k > keep {
			copy(chars[:keep], chars[k-keep:k])
			copy(at[:keep], at[k-keep:k])
			k = keep
		}
		first := max(k, 1)
		for i := base; i < min(base+skeletonChunk, to); i++ {
			c := s[i]
			chars[k], at[k] = c, i
			k += (int(code[c]) + 63) >> 6 // codes are 1 to 63
		}
		for j := first; j < k; j++ {
			ok := int(pairs[int(code[chars[j-1]])<<6|int(code[chars[j]])])
			chain = (chain + 1) & -ok
			if chain < keep {
				continue
			}
			if _, found := p.skel[string(chars[j-keep:j+1])]; found {
				spans = addSpan(spans, at[j-keep], at[j]+1)
			}
		}
	}
	return spans
}

// maskRuns replaces every run of s covered by the windows holding '-'.
func (p *pieceIndex) maskRuns(s string) string {
	if p.windows == nil || len(s) < pieceLen {
		return s
	}
	var spans [][2]int
	blocks, quick := p.blocks, p.quick
	for b := 0; b+blockLen <= len(s); b += blockLen {
		if !hasBit(blocks, blockHash(load64(s, b))) {
			continue
		}
		// The windows that hold this block start from b-8 to b.
		for i := max(0, b+blockLen-pieceLen); i <= b && i+pieceLen <= len(s); i++ {
			if !hasBit(quick, windowHash(s, i)) {
				continue
			}
			if _, ok := p.windows[s[i:i+pieceLen]]; ok {
				spans = addSpan(spans, i, i+pieceLen)
			}
		}
	}
	return maskSpans(s, spans)
}

// addSpan appends [start, end) to spans, merged with the last one when
// they touch. Spans come in order of their end.
func addSpan(spans [][2]int, start, end int) [][2]int {
	if n := len(spans); n > 0 && start <= spans[n-1][1] {
		spans[n-1][1] = max(spans[n-1][1], end)
		return spans
	}
	return append(spans, [2]int{start, end})
}

// maskSpans replaces each span of s with Mask.
func maskSpans(s string, spans [][2]int) string {
	if spans == nil {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	last := 0
	for _, sp := range spans {
		sb.WriteString(s[last:sp[0]])
		sb.WriteString(Mask)
		last = sp[1]
	}
	sb.WriteString(s[last:])
	return sb.String()
}

// load64 reads 8 bytes of s from i, little endian (one load on amd64/arm64).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// blockHash maps a block to a filter bit (Fibonacci hashing).
func blockHash(x uint64) uint64 { return (x * 0x9E3779B97F4A7C15) >> (64 - 16) }

// windowHash maps the 16 bytes of s from i to a filter bit.
func windowHash(s string, i int) uint64 {
	return ((load64(s, i) * 0x9E3779B97F4A7C15) ^ (load64(s, i+8) * 0xC2B2AE3D27D4EB4F)) >> (64 - 16)
}

func setBit(f *[filterBits / 64]uint64, h uint64)      { f[h>>6] |= 1 << (h & 63) }
func hasBit(f *[filterBits / 64]uint64, h uint64) bool { return f[h>>6]&(1<<(h&63)) != 0 }
