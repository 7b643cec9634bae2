package audit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/neonkeys/neonkeys/destination"
)

// Day is the unit of every threshold: keys age in days, and Neon's own
// advice ("rotate every 90 days") counts in them.
const Day = 24 * time.Hour

// Thresholds say when a key is stale. Each is a duration; Defaults gives
// the values a config file and the flags override.
type Thresholds struct {
	NeverUsed time.Duration // a key never used and older than this
	Unused    time.Duration // a key last used longer ago than this
	MaxAge    time.Duration // a key older than this is due for rotation
}

// Defaults are 30 days for a key never used, 90 for one unused, and 90 for
// the age at which a key is due for rotation (the usual rotation period).
func Defaults() Thresholds {
	return Thresholds{NeverUsed: 30 * Day, Unused: 90 * Day, MaxAge: 90 * Day}
}

// ParseAge reads a threshold: "90d" (days), "12w" (weeks), a bare number
// of days ("90"), or a Go duration ("36h"). It must be positive.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not an age: write days such as 90d (or 12w, 36h)", s)
	if s == "" {
		return 0, bad
	}
	unit := Day
	num := s
	switch {
	case strings.HasSuffix(s, "d"):
		num = s[:len(s)-1]
	case strings.HasSuffix(s, "w"):
		num, unit = s[:len(s)-1], 7*Day
	case strings.ContainsAny(s, "hms"):
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, bad
		}
		return d, nil
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > 100*365 {
		return 0, bad
	}
	return time.Duration(n) * unit, nil
}

// FormatAge writes d as ParseAge reads it: whole days as "90d".
func FormatAge(d time.Duration) string {
	if d%Day == 0 {
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	return d.String()
}

// configFields are the fields of the audit: section, by their YAML names.
var configFields = []string{"never_used", "unused", "max_age"}

// ReadConfig returns the thresholds of the audit: section of the config
// file cfg was loaded from, over Defaults. It parses the content
// destination.Load read once, after checking the file's owner and mode; it
// never reads the file again. A nil cfg (no config file) gives Defaults.
func ReadConfig(cfg *destination.Config) (Thresholds, error) {
	if cfg == nil {
		return Defaults(), nil
	}
	return ParseConfig(cfg.Data, cfg.Path, Defaults())
}

// ParseConfig reads the audit: section of a config file's content into
// th; path names the file in messages. An absent section leaves th as it
// is; an unknown field or an unreadable age is an error with its line.
func ParseConfig(data []byte, path string, th Thresholds) (Thresholds, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return th, fmt.Errorf("%s: not valid YAML: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return th, nil // the destinations parser reports a malformed file
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "audit" {
			return parseSection(root.Content[i+1], path, th)
		}
	}
	return th, nil
}

func parseSection(n *yaml.Node, path string, th Thresholds) (Thresholds, error) {
	if n.Tag == "!!null" {
		return th, nil
	}
	if n.Kind != yaml.MappingNode {
		return th, fmt.Errorf("%s:%d: audit must be a mapping of %s", path, n.Line, strings.Join(configFields, ", "))
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		var dst *time.Duration
		switch key.Value {
		case "never_used":
			dst = &th.NeverUsed
		case "unused":
			dst = &th.Unused
		case "max_age":
			dst = &th.MaxAge
		default:
			errs = append(errs, fmt.Errorf("%s:%d: audit: unknown field %q (it takes %s)", path, key.Line, key.Value, strings.Join(configFields, ", ")))
			continue
		}
		if val.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Errorf("%s:%d: audit: %s: want an age such as 90d", path, val.Line, key.Value))
			continue
		}
		d, err := ParseAge(val.Value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: audit: %s: %v", path, val.Line, key.Value, err))
			continue
		}
		*dst = d
	}
	return th, errors.Join(errs...)
}
