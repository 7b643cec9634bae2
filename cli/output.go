package cli

import (
	"bufio"
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

// writeKeys prints keys in the chosen format. Like every answer, their
// strings are cleaned first (cleanStrings) and the text passes a.stdout,
// which redacts and cleans each line.
func (a *app) writeKeys(ks []keys.Key) error {
	cleanStrings(ks, secret.StripControl)
	switch a.output {
	case outJSON:
		return writeKeysJSON(a.stdout, ks)
	case outYAML:
		return writeKeysYAML(a.stdout, ks)
	default:
		return writeKeysTable(a.stdout, ks)
	}
}

// writeKeysJSON prints keys as a JSON array of keys.View, the one shape of
// a key in every answer.
func writeKeysJSON(w io.Writer, ks []keys.Key) error {
	// One compact item a line: readable, diff-friendly, and cheaper than
	// MarshalIndent's second pass over 10,000 keys. The redactor sees one
	// item a line (a secret lies within one item's strings), streamed, so
	// memory does not hold the whole listing two or three times over.
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("[")
	for i := range ks {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  ")
		v := ks[i].View()
		item, err := json.Marshal(&v)
		if err != nil {
			return fmt.Errorf("encoding the key list: %w", err)
		}
		bw.Write(item)
	}
	if len(ks) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// writeKeysYAML prints keys as a YAML sequence of keys.View, converted from
// JSON yamlChunk items at a time as jsonToYAML converts a small answer: a
// chunk comes out as it would inside the whole sequence, at the same
// column, so the output is the whole list's, byte for byte. Converting the
// whole list at once held a node tree of it, about 20 KiB a key: 225 MiB
// for 10,000 keys, against 25 MiB for list -o json.
func writeKeysYAML(w io.Writer, ks []keys.Key) error {
	if len(ks) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	views := make([]keys.View, 0, yamlChunk)
	for start := 0; start < len(ks); start += yamlChunk {
		views = views[:0]
		for i := start; i < min(start+yamlChunk, len(ks)); i++ {
			views = append(views, ks[i].View())
		}
		chunk, err := json.Marshal(views)
		if err != nil {
			return fmt.Errorf("encoding the key list: %w", err)
		}
		if err := jsonToYAML(bw, chunk); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// yamlChunk keys are converted at a time: each conversion sets up a YAML
// parser (about 40 KB), which one key a time made cost more than the keys;
// 100 keys hold a node tree of about 2 MB.
const yamlChunk = 100

// writeKeysTable prints the readable table (of keys already cleaned).
func writeKeysTable(w io.Writer, ks []keys.Key) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tLAST USED\tFROM")
	for i := range ks {
		k := &ks[i]
		from := k.LastUsedFromAddr
		if from == "" {
			from = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, shortScope(*k),
			formatTime(k.CreatedAt), lastUsed(k.LastUsedAt), from)
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

// shortScope is the SCOPE column: personal, organization <id> or
// project <id>, the scope values of the JSON.
func shortScope(k keys.Key) string {
	switch k.Scope() {
	case keys.ScopePersonal:
		return keys.ScopePersonal
	case keys.ScopeProject:
		return keys.ScopeProject + " " + k.ProjectID
	default:
		return keys.ScopeOrganization + " " + k.OrgID
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

// describeKey is the preview shown before a revoke or a rotation (of a key
// already cleaned: no name can add a line of its own to it).
func describeKey(k keys.Key) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  key        %d\n", k.ID)
	fmt.Fprintf(&b, "  name       %s\n", previewName(k.Name))
	fmt.Fprintf(&b, "  scope      %s\n", k.ScopeText())
	fmt.Fprintf(&b, "  created    %s\n", formatTime(k.CreatedAt))
	used := lastUsed(k.LastUsedAt)
	if k.LastUsedAt != nil && k.LastUsedFromAddr != "" {
		used += " from " + k.LastUsedFromAddr
	}
	fmt.Fprintf(&b, "  last used  %s\n", used)
	return b.String()
}

// writeValue prints a small answer (not a key list) as indented JSON or
// YAML: its strings cleaned (cleanStrings), the text through a.stdout.
func (a *app) writeValue(v any) error {
	return a.encodeValue(a.stdout, cleanStrings(v, secret.StripControl))
}

// show prints a small answer: its strings cleaned in place (v is a
// pointer), then by table() for the table format, else as JSON or YAML.
func (a *app) show(v any, table func() error) error {
	if a.output == outTable {
		cleanStrings(v, secret.StripControl)
		return table()
	}
	return a.writeValue(v)
}

// encodeValue writes v to w as indented JSON or YAML, as it is.
func (a *app) encodeValue(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failErr("encoding the output: %v", err)
	}
	if a.output == outYAML {
		return jsonToYAML(w, data)
	}
	data = append(data, '\n')
	_, err = w.Write(data)
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

// explain is keys.Explain in the CLI's words: flags.
func explain(op keys.Operation, err error) string { return keys.Explain(op, err, cliWords()) }

// cliWords names the CLI's options in error sentences.
func cliWords() keys.Words {
	return keys.Words{
		OrgID:    "--org-id",
		MoreTime: "raise the per-request limit with --timeout (default 30s)",
	}
}
