package cli

import (
	"bufio"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// writeKeysJSON streams keys as a JSON array of the API's list items (plus
// org_id where set), one item per line. It appends bytes by hand instead of
// reflecting over each key: list -o json of 10,000 keys stays quick. Every
// string from the API passes the redactor.
func writeKeysJSON(w io.Writer, ks []keys.Key, red *secret.Redactor) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	buf := make([]byte, 0, 512)
	if len(ks) == 0 {
		bw.WriteString("[]\n")
		return bw.Flush()
	}
	bw.WriteString("[\n")
	for i := range ks {
		buf = append(buf[:0], "  "...)
		buf = appendKeyJSON(buf, &ks[i], red)
		if i < len(ks)-1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// appendKeyJSON appends one key as the API spells it: id, name, created_at,
// created_by{id,name,image}, last_used_at (null when never used),
// last_used_from_addr, then project_id and org_id when set.
func appendKeyJSON(b []byte, k *keys.Key, red *secret.Redactor) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, k.ID, 10)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, red.Redact(k.Name))
	b = append(b, `,"created_at":`...)
	b = appendJSONTime(b, k.CreatedAt)
	b = append(b, `,"created_by":{"id":`...)
	b = appendJSONString(b, red.Redact(k.CreatedBy.ID))
	b = append(b, `,"name":`...)
	b = appendJSONString(b, red.Redact(k.CreatedBy.Name))
	b = append(b, `,"image":`...)
	b = appendJSONString(b, red.Redact(k.CreatedBy.Image))
	b = append(b, `},"last_used_at":`...)
	if k.LastUsedAt == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONTime(b, *k.LastUsedAt)
	}
	b = append(b, `,"last_used_from_addr":`...)
	b = appendJSONString(b, red.Redact(k.LastUsedFromAddr))
	if k.ProjectID != "" {
		b = append(b, `,"project_id":`...)
		b = appendJSONString(b, k.ProjectID)
	}
	if k.OrgID != "" {
		b = append(b, `,"org_id":`...)
		b = appendJSONString(b, k.OrgID)
	}
	return append(b, '}')
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028
// and U+2029 escaped as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
