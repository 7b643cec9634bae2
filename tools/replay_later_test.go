package tools_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReplayedRotationMinutesLaterMintsOnce: a rotation's default name
// holds the time, so a replay minutes later on another instance would plan
// a name nobody bears yet. The world is read for the name the human
// approved (sealed in the state), which the first answer minted: the replay
// is refused and Neon gets one create.
func TestReplayedRotationMinutesLaterMintsOnce(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tick := func() time.Time { // every plan sees a later minute
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
	onTicking := func(t *testing.T, o ...envOption) *env { return newEnvOn(t, envSetup{keysNow: tick}, o...) }
	e := newDestEnvOn(t, onTicking, threeDestinations, sharedSealKey(t))
	a, b := e.mcp, secondInstance(t, e.env)
	args := fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-env"],"keep_old":true,"confirm":true}`, e.keyID)
	state := ask(t, a, "rotate_api_key", args)
	first := callOn(t, a, "rotate_api_key", args, state, accept())
	if first.IsError {
		t.Fatalf("the genuine answer: %s", text(first))
	}
	newName, _ := structuredMap(t, first)["new_key"].(map[string]any)["name"].(string)
	replay := callOn(t, b, "rotate_api_key", args, state, accept())
	if !replay.IsError || !strings.Contains(text(replay), "Not rotated: the confirmation was already used") {
		t.Fatalf("replay on b minutes later: %s", text(replay))
	}
	if n := len(e.mutations()); n != 1 {
		t.Errorf("%d create requests sent, want 1", n)
	}
	if n := len(named(e.fake, newName)); newName == "" || n != 1 {
		t.Errorf("Neon holds %d keys named %q, want 1", n, newName)
	}
}
