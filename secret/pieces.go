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

// pieceIndex finds runs of 16 or more token characters that occur in a held
// secret. The zero value holds nothing.
type pieceIndex struct {
	blocks  *[filterBits / 64]uint64 // every 8-byte block of the secrets' windows, hashed
	quick   *[filterBits / 64]uint64 // every 16-character window, hashed: spares most map lookups
	windows map[string]struct{}      // every 16-character window of the secrets
}

// isTokenByte reports whether c can be part of a token: [A-Za-z0-9_-].
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// add indexes every 16-character window of v that is made of token
// characters (every window, for a real token).
func (p *pieceIndex) add(v string) {
	run := 0
	for i := 0; i < len(v); i++ {
		if !isTokenByte(v[i]) {
			run = 0
			continue
		}
		run++
		if run < pieceLen {
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

// mask replaces every run of s covered by windows of a held secret.
func (p *pieceIndex) mask(s string) string {
	if p.windows == nil || len(s) < pieceLen {
		return s
	}
	var spans [][2]int // covered [start, end), in order, merged
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
			if _, ok := p.windows[s[i:i+pieceLen]]; !ok {
				continue
			}
			if n := len(spans); n > 0 && i <= spans[n-1][1] {
				spans[n-1][1] = i + pieceLen
			} else {
				spans = append(spans, [2]int{i, i + pieceLen})
			}
		}
	}
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
