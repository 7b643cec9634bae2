package remote

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// courier settles the delivery of the tokens one request's answer carries
// (tools.Courier): mcp-go writes the answer after the tool returned, so a
// token counts as delivered only once the answer was written and flushed to
// the connection. If the client is gone by then, the new key is withdrawn
// and a rotation keeps the old key, as on stdio.
type courier struct {
	mu      sync.Mutex
	pending []func(error)
}

// Expect registers a token carried by this request's answer.
func (c *courier) Expect(_ string, settle func(error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, settle)
}

// expecting reports whether the answer carries a token whose delivery
// waits for it.
func (c *courier) expecting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) > 0
}

// settle tells every token's delivery how the answer went (nil: written).
func (c *courier) settle(err error) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, s := range pending {
		s(err)
	}
}

// answerWriter remembers whether writing the answer failed.
type answerWriter struct {
	http.ResponseWriter
	err error
}

func (w *answerWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	if err == nil && n != len(p) {
		err = fmt.Errorf("the answer was cut after %d of %d bytes", n, len(p))
	}
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// FlushError flushes the answer to the connection, reporting a failure.
func (w *answerWriter) FlushError() error {
	err := http.NewResponseController(w.ResponseWriter).Flush()
	if err != nil && !errors.Is(err, http.ErrNotSupported) && w.err == nil {
		w.err = err
	}
	return err
}

// Flush is FlushError for mcp-go's event streams, which need a Flusher.
func (w *answerWriter) Flush() { _ = w.FlushError() }

func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// delivered says whether the answer reached the connection in full.
func (w *answerWriter) delivered(r *http.Request) error {
	if err := r.Context().Err(); err != nil {
		return fmt.Errorf("the request ended before its answer was written: %w", err)
	}
	if err := w.FlushError(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("writing the answer failed: %w", err)
	}
	return w.err
}
