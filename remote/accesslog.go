package remote

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/neonkeys/neonkeys/tools"
)

// accessRecord collects what the access log says of one request.
type accessRecord struct {
	status int
	bytes  int64
	kind   string             // credential kind: none, header, server ("" before guard ran)
	call   *tools.CallOutcome // the tool call the request made, if any
}

type accessKey struct{}

// noteCall returns the tools.Request.Called of r: it notes a tool call's
// outcome for r's access-log line.
func noteCall(r *http.Request) func(tools.CallOutcome) {
	rec, ok := r.Context().Value(accessKey{}).(*accessRecord)
	if !ok {
		return nil
	}
	return func(o tools.CallOutcome) { rec.call = &o }
}

// markKind notes the request's credential kind for the access log.
func markKind(r *http.Request, kind string) {
	if rec, ok := r.Context().Value(accessKey{}).(*accessRecord); ok {
		rec.kind = kind
	}
}

func accessLogger(cfg Config) *slog.Logger {
	if cfg.AccessLog == nil {
		return slog.New(slog.DiscardHandler)
	}
	// Through the redactor as well: a path or a method is the client's
	// text, and a key pasted into a URL must not reach the log.
	return slog.New(slog.NewJSONHandler(cfg.Server.Redactor.Writer(cfg.AccessLog), nil))
}

// logAccess serves r with next and logs one line: method, path, status,
// size, duration, peer and credential kind. Never a header, the query, the
// body or the credential, nor a method or path of the client's choosing.
func (h *Handler) logAccess(w http.ResponseWriter, r *http.Request, next http.Handler) {
	start := time.Now()
	rec := &accessRecord{}
	rw := &recordingWriter{ResponseWriter: w, rec: rec}
	next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), accessKey{}, rec)))
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("method", loggedMethod(r.Method)),
		slog.String("path", loggedPath(r.URL.Path)),
		slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes),
		slog.Int64("ms", time.Since(start).Milliseconds()),
		slog.String("peer", clientIP(r)),
		slog.String("credential", rec.kind),
	}
	if c := rec.call; c != nil {
		attrs = append(attrs, slog.String("tool", c.Tool), slog.Bool("is_error", c.IsError), slog.Bool("input_required", c.InputRequired))
	}
	h.access.LogAttrs(r.Context(), slog.LevelInfo, "http", attrs...)
}

// otherText stands in the access log for a method or path this server
// does not serve.
const otherText = "other"

// loggedPath is r's path as the access log says it: one this server
// serves, or otherText. A path is the client's text, and a credential in
// no Neon shape pasted into it is masked only by its exact value, which
// the process redactor does not hold (a request's credential lives in its
// scoped redactor): so no path of the client's choosing is logged.
func loggedPath(path string) string {
	switch path {
	case Path, "/healthz", "/readyz":
		return path
	}
	return otherText
}

// loggedMethod is r's method as the access log says it: a standard one,
// or otherText (a method is any token the client chooses, see loggedPath).
func loggedMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return otherText
}

// recordingWriter records the status and size of an answer; it keeps
// Flush, which mcp-go's event streams need.
type recordingWriter struct {
	http.ResponseWriter
	rec *accessRecord
}

func (w *recordingWriter) WriteHeader(status int) {
	if w.rec.status == 0 {
		w.rec.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.rec.status == 0 {
		w.rec.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.rec.bytes += int64(n)
	return n, err
}

// FlushError flushes, reporting a failure (http.ResponseController uses it).
func (w *recordingWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recordingWriter) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
