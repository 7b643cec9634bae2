package keys

import (
	"context"
	"maps"
	"slices"
)

// NamedIDs returns, sorted, the ids of the keys at req's scope (personal
// keys, or req.OrgID's) named req.Name, with one list request: the keys a
// create of req would add to. A confirmation records them when it is asked
// and reads them again when it is answered (tools/guard.go): a yes given
// for one state of that scope does not mint in another.
func (s *Service) NamedIDs(ctx context.Context, req CreateRequest) ([]int64, error) {
	named, _, err := s.namedBefore(ctx, req)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(named)), nil
}
