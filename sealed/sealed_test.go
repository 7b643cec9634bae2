package sealed

import (
	"errors"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newSealer(t *testing.T) (*Sealer, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	s, err := New(time.Minute, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestOpen(t *testing.T) {
	tamper := func(s string) string {
		b := []byte(s)
		if b[len(b)-3] == 'A' {
			b[len(b)-3] = 'B'
		} else {
			b[len(b)-3] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name    string
		tool    string
		binding string
		state   func(good string, other *Sealer) string
		advance time.Duration
		want    error
	}{
		{"valid", "revoke_api_key", `{"key_id":1}`, func(g string, _ *Sealer) string { return g }, 0, nil},
		{"tampered", "revoke_api_key", `{"key_id":1}`, func(g string, _ *Sealer) string { return tamper(g) }, 0, ErrInvalid},
		{"garbage", "revoke_api_key", `{"key_id":1}`, func(string, *Sealer) string { return "not-a-state!" }, 0, ErrInvalid},
		{"empty", "revoke_api_key", `{"key_id":1}`, func(string, *Sealer) string { return "" }, 0, ErrInvalid},
		{"other process key", "revoke_api_key", `{"key_id":1}`, func(_ string, o *Sealer) string {
			st, _ := o.Seal("revoke_api_key", `{"key_id":1}`, Terms{})
			return st
		}, 0, ErrInvalid},
		{"wrong tool", "rotate_api_key", `{"key_id":1}`, func(g string, _ *Sealer) string { return g }, 0, ErrInvalid},
		{"wrong args", "revoke_api_key", `{"key_id":2}`, func(g string, _ *Sealer) string { return g }, 0, ErrMismatch},
		{"expired", "revoke_api_key", `{"key_id":1}`, func(g string, _ *Sealer) string { return g }, time.Minute, ErrExpired},
		{"just in time", "revoke_api_key", `{"key_id":1}`, func(g string, _ *Sealer) string { return g }, time.Minute - time.Second, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newSealer(t)
			other, _ := newSealer(t)
			good, err := s.Seal("revoke_api_key", `{"key_id":1}`, Terms{})
			if err != nil {
				t.Fatal(err)
			}
			c.add(tt.advance)
			if _, err := s.Open(tt.tool, tt.binding, tt.state(good, other)); !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestOpenRefusesReplay(t *testing.T) {
	s, _ := newSealer(t)
	st, err := s.Seal("revoke_api_key", "b", Terms{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("revoke_api_key", "b", st); err != nil {
		t.Fatalf("first Open = %v", err)
	}
	if _, err := s.Open("revoke_api_key", "b", st); !errors.Is(err, ErrReplayed) {
		t.Fatalf("second Open = %v, want ErrReplayed", err)
	}
	// A fresh state for the same call still works: replay protection is per state.
	st2, _ := s.Seal("revoke_api_key", "b", Terms{})
	if _, err := s.Open("revoke_api_key", "b", st2); err != nil {
		t.Fatalf("fresh state Open = %v", err)
	}
}

func TestOpenConcurrentReplayOpensOnce(t *testing.T) {
	s, _ := newSealer(t)
	st, _ := s.Seal("t", "b", Terms{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 20 {
		wg.Go(func() {
			if _, err := s.Open("t", "b", st); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("state opened %d times, want 1", ok)
	}
}

// The terms sealed with a state (plan and world) come back when it opens,
// and a refused state (tampered, for other arguments, expired, replayed)
// carries none: a caller that forgot to check the error must still not get
// a plan to act on, nor a world to compare with.
func TestTermsComeBack(t *testing.T) {
	terms := Terms{Plan: "ci-rotated-20261201T120000Z", World: "[101,205]"}
	tests := []struct {
		name    string
		binding string
		state   func(good string) string
		advance time.Duration
		replay  bool
		want    error
	}{
		{name: "valid", binding: `{"key_id":1}`, state: keep},
		{name: "tampered", binding: `{"key_id":1}`, state: tamperState, want: ErrInvalid},
		{name: "other arguments", binding: `{"key_id":2}`, state: keep, want: ErrMismatch},
		{name: "expired", binding: `{"key_id":1}`, state: keep, advance: time.Minute, want: ErrExpired},
		{name: "replayed", binding: `{"key_id":1}`, state: keep, replay: true, want: ErrReplayed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newSealer(t)
			st, err := s.Seal("rotate_api_key", `{"key_id":1}`, terms)
			if err != nil {
				t.Fatal(err)
			}
			if tt.replay {
				if _, err := s.Open("rotate_api_key", `{"key_id":1}`, st); err != nil {
					t.Fatal(err)
				}
			}
			c.add(tt.advance)
			got, err := s.Open("rotate_api_key", tt.binding, tt.state(st))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			want := terms
			if tt.want != nil {
				want = Terms{}
			}
			if got != want {
				t.Errorf("Open terms = %+v, want %+v", got, want)
			}
		})
	}
}

func keep(s string) string { return s }

// tamperState changes one character of a state near its end (not the last:
// its low bits may be padding): still valid base64, no longer what was sealed.
func tamperState(s string) string {
	b := []byte(s)
	if b[len(b)-3] == 'A' {
		b[len(b)-3] = 'B'
	} else {
		b[len(b)-3] = 'A'
	}
	return string(b)
}

// Every character of a state is authenticated, the world's among them: a
// state changed anywhere opens nowhere, and the genuine one still opens
// with its world.
func TestWorldIsAuthenticated(t *testing.T) {
	s, _ := newSealer(t)
	terms := Terms{Plan: "ci", World: "[7]"}
	st, err := s.Seal("create_project_scoped_key", "b", terms)
	if err != nil {
		t.Fatal(err)
	}
	// The last character is left out: its low bits may be padding.
	for i := range len(st) - 1 {
		b := []byte(st)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if got, err := s.Open("create_project_scoped_key", "b", string(b)); !errors.Is(err, ErrInvalid) || got != (Terms{}) {
			t.Fatalf("state changed at %d: Open = %+v, %v; want ErrInvalid", i, got, err)
		}
	}
	if got, err := s.Open("create_project_scoped_key", "b", st); err != nil || got != terms {
		t.Fatalf("genuine state: Open = %+v, %v; want %+v", got, err, terms)
	}
}

// Sealers sharing a key (the instances of a remote deployment) each open a
// state once: the second instance opens what the first already did, and the
// world comes back for the caller to check again (tools/guard.go).
func TestSharedKeyOpensOncePerSealer(t *testing.T) {
	key := make([]byte, KeySize)
	a, err := NewWithKey(key, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewWithKey(key, time.Minute, nil)
	terms := Terms{Plan: "ci", World: "[]"}
	st, _ := a.Seal("t", "b", terms)
	if _, err := a.Open("t", "b", st); err != nil {
		t.Fatalf("first Open on a = %v", err)
	}
	if _, err := a.Open("t", "b", st); !errors.Is(err, ErrReplayed) {
		t.Fatalf("second Open on a = %v, want ErrReplayed", err)
	}
	if got, err := b.Open("t", "b", st); err != nil || got != terms {
		t.Fatalf("Open on b = %+v, %v; want %+v", got, err, terms)
	}
}
