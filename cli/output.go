package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	// Same encoder as the API client: marshals a 10,000-key list several
	// times faster than encoding/json, with the same output.
	json "github.com/segmentio/encoding/json"
	"go.yaml.in/yaml/v3"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// writeKeys prints keys in the chosen format.
func (a *app) writeKeys(ks []keys.Key) error {
	switch a.output {
	case outJSON:
		return writeKeysJSON(a.stdout, ks, a.red)
	case outYAML:
		var buf bytes.Buffer
		if err := writeKeysJSON(&buf, ks, a.red); err != nil {
			return err
		}
		return jsonToYAML(a.stdout, buf.Bytes())
	default:
		return writeKeysTable(a.stdout, ks, a.red)
	}
}

// writeKeysJSON prints keys as a JSON array of the API's list items (plus
// org_id where set), field names as the API spells them. The whole text
// passes the redactor once: names and creators come from the API and may
// hold planted secrets (the mask has no quote, so the JSON stays valid).
func writeKeysJSON(w io.Writer, ks []keys.Key, red *secret.Redactor) error {
	// One compact item a line: readable, diff-friendly, and cheaper than
	// MarshalIndent's second pass over 10,000 keys. Each item is redacted
	// on its own (a secret lies within one item's strings) and streamed, so
	// memory does not hold the whole listing two or three times over.
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("[")
	for i := range ks {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  ")
		item, err := json.Marshal(&ks[i])
		if err != nil {
			return fmt.Errorf("encoding the key list: %w", err)
		}
		bw.WriteString(red.Redact(string(item)))
	}
	if len(ks) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// writeKeysTable prints the readable table: untrusted names lose their
// control characters and pass the redactor.
func writeKeysTable(w io.Writer, ks []keys.Key, red *secret.Redactor) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tLAST USED\tFROM")
	for i := range ks {
		k := &ks[i]
		from := k.LastUsedFromAddr
		if from == "" {
			from = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, cleanText(red, k.Name), shortScope(*k),
			formatTime(k.CreatedAt), lastUsed(k.LastUsedAt), cleanText(red, from))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// cleanText makes untrusted text safe for a terminal: no secrets, no control
// characters (a tab would also break the table's columns).
func cleanText(red *secret.Redactor, s string) string {
	return secret.StripControl(red.Redact(s))
}

// shortScope is the SCOPE column: personal, org <id> or project <id>.
func shortScope(k keys.Key) string {
	switch k.Scope() {
	case keys.ScopePersonal:
		return "personal"
	case keys.ScopeProject:
		return "project " + k.ProjectID
	default:
		return "org " + k.OrgID
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func lastUsed(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return formatTime(*t)
}

// describeKey is the preview shown before a revoke or a rotation.
func describeKey(red *secret.Redactor, k keys.Key) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  key        %d\n", k.ID)
	fmt.Fprintf(&b, "  name       %s\n", cleanText(red, k.Name))
	fmt.Fprintf(&b, "  scope      %s\n", k.ScopeText())
	fmt.Fprintf(&b, "  created    %s\n", formatTime(k.CreatedAt))
	used := lastUsed(k.LastUsedAt)
	if k.LastUsedAt != nil && k.LastUsedFromAddr != "" {
		used += " from " + cleanText(red, k.LastUsedFromAddr)
	}
	fmt.Fprintf(&b, "  last used  %s\n", used)
	return b.String()
}

// writeValue prints a small value (not a key list) as indented JSON or YAML.
// Its strings must already be redacted where they come from the API.
func (a *app) writeValue(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failErr("encoding the output: %v", err)
	}
	if a.output == outYAML {
		return jsonToYAML(a.stdout, data)
	}
	data = append(data, '\n')
	_, err = a.stdout.Write(data)
	return err
}

// jsonToYAML re-encodes JSON as block-style YAML with the same field names
// and order (YAML reads JSON; the node keeps the order).
func jsonToYAML(w io.Writer, data []byte) error {
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return fmt.Errorf("converting to YAML: %w", err)
	}
	plainStyle(&node)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return fmt.Errorf("writing YAML: %w", err)
	}
	return enc.Close()
}

// plainStyle drops the JSON flow and quoting styles so the YAML reads as
// YAML; the encoder still quotes strings that would otherwise change type.
func plainStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plainStyle(c)
	}
}
