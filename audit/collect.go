package audit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
)

// Inventory is every key the credential sees, and who belongs to each
// organization: what the audit judges, and what a bulk rotation selects
// from (OlderThan).
type Inventory struct {
	// Keys: the personal keys, then each organization's, in the order
	// Neon lists the organizations and their keys.
	Keys []keys.Key
	// Members holds, per organization whose members could be listed, the
	// state of each member by user id.
	Members map[string]map[string]Member
	// Orgs counts the organizations whose keys were listed.
	Orgs int
	// OrgsLeftOut counts the organizations beyond keys.MaxOrgsWalked, not
	// listed.
	OrgsLeftOut int
	// Gaps are the places that could not be read, and why: the rest of
	// the inventory still holds.
	Gaps []Gap
	// OrgFromCredential: the credential is an organization key, so its
	// organization's keys stand in for the personal keys.
	OrgFromCredential string
}

// Member is what the audit needs of an organization member.
type Member struct {
	DeactivatedAt *time.Time // set when the account was deactivated
}

// Gap is a place the inventory could not read.
type Gap struct {
	Kind   GapKind `json:"kind" jsonschema:"enum=keys,enum=members,enum=organizations" jsonschema_description:"keys: a scope's keys were not audited; members: an organization's keys were, but not whether their creators still belong to it; organizations: the list of organizations could not be read."`
	What   string  `json:"what" jsonschema_description:"What could not be read: personal keys, the keys or the members of an organization, or the list of organizations."`
	OrgID  string  `json:"org_id,omitempty" jsonschema_description:"The organization concerned; absent for personal keys and the list of organizations."`
	Reason string  `json:"reason" jsonschema_description:"Why, in Neon's words where it gave some."`
}

// GapKind says what a gap leaves out.
type GapKind string

// The kinds of gap.
const (
	GapKeys          GapKind = "keys"          // a scope's keys were not listed
	GapMembers       GapKind = "members"       // an organization's members were not listed
	GapOrganizations GapKind = "organizations" // the list of organizations was not read
)

// MissesKeys reports whether keys may be missing because of g: every gap
// but an organization's members, whose keys were still listed.
func (g Gap) MissesKeys() bool { return g.Kind != GapMembers }

// place is one thing to read: personal keys (orgID "") or an
// organization's keys and members.
type place struct {
	orgID       string
	keys        []keys.Key
	keysErr     error
	members     []neonapi.OrgMember
	membersErr  error
	skipKeys    bool // listed already (the credential's own organization)
	skipMembers bool // not asked for (CollectKeys)
	fromCredOrg string
}

// Collect lists the personal keys and the keys and members of every
// organization the credential sees, or only those of orgID. Organizations
// are read keys.OrgWalkers at a time (each one's keys and members at
// once), and at most keys.MaxOrgsWalked of them: the bounds of the key and
// project searches. It fails only when nothing could be read; otherwise
// what failed is in Gaps, each reason worded with words (the CLI's flags
// or the tools' argument names).
func Collect(ctx context.Context, svc *keys.Service, orgID string, words keys.Words) (*Inventory, error) {
	return collect(ctx, svc, orgID, true, words)
}

// CollectKeys is Collect without the members (Members stays empty): what a
// bulk rotation needs, one request per organization fewer.
func CollectKeys(ctx context.Context, svc *keys.Service, orgID string, words keys.Words) (*Inventory, error) {
	return collect(ctx, svc, orgID, false, words)
}

func collect(ctx context.Context, svc *keys.Service, orgID string, withMembers bool, words keys.Words) (*Inventory, error) {
	reason := func(err error) string { return keys.Explain(keys.OpList, err, words) }
	inv := &Inventory{Members: map[string]map[string]Member{}}
	var places []*place
	if orgID != "" {
		places = []*place{{orgID: orgID}}
	} else {
		var orgs []neonapi.Organization
		personal, orgsErr := &place{}, error(nil)
		var wg sync.WaitGroup
		wg.Go(func() { readPersonal(ctx, svc, personal) })
		wg.Go(func() { orgs, orgsErr = svc.Organizations(ctx) })
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		places = append(places, personal)
		// An organization key may be refused the list of organizations; its
		// own was listed in place of the personal keys.
		if orgsErr != nil && personal.fromCredOrg == "" {
			inv.Gaps = append(inv.Gaps, Gap{Kind: GapOrganizations, What: "the list of your organizations", Reason: reason(orgsErr)})
		}
		if len(orgs) > keys.MaxOrgsWalked {
			inv.OrgsLeftOut = len(orgs) - keys.MaxOrgsWalked
			orgs = orgs[:keys.MaxOrgsWalked]
		}
		for _, o := range orgs {
			places = append(places, &place{orgID: o.ID, skipKeys: o.ID == personal.fromCredOrg})
		}
		if personal.fromCredOrg != "" && !containsOrg(orgs, personal.fromCredOrg) {
			places = append(places, &place{orgID: personal.fromCredOrg, skipKeys: true})
		}
	}
	readOrgs(ctx, svc, places, withMembers)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return inv.gather(places, reason)
}

// readPersonal lists the personal keys; with an organization key as the
// credential, keys.Service lists its organization's keys instead.
func readPersonal(ctx context.Context, svc *keys.Service, p *place) {
	res, err := svc.List(ctx, keys.ListOptions{})
	if err != nil {
		p.keysErr = err
		return
	}
	p.keys = res.Keys
	if res.OrgFromCredential {
		p.fromCredOrg = res.OrgID
	}
}

// readOrgs reads the organizations among places, keys.OrgWalkers at a
// time, each one's keys and (withMembers) members at once.
func readOrgs(ctx context.Context, svc *keys.Service, places []*place, withMembers bool) {
	slots := make(chan struct{}, keys.OrgWalkers)
	var wg sync.WaitGroup
	for _, p := range places {
		if p.orgID == "" {
			continue
		}
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			var inner sync.WaitGroup
			if !p.skipKeys {
				inner.Go(func() {
					res, err := svc.List(ctx, keys.ListOptions{OrgID: p.orgID})
					if err == nil {
						p.keys = res.Keys
					}
					p.keysErr = err
				})
			}
			if withMembers {
				p.members, p.membersErr = svc.OrgMembers(ctx, p.orgID)
			} else {
				p.skipMembers = true
			}
			inner.Wait()
		})
	}
	wg.Wait()
}

// gather puts what the places read into inv, in their order.
func (inv *Inventory) gather(places []*place, reason func(error) string) (*Inventory, error) {
	read, total, n := 0, 0, 0
	for _, p := range places {
		n += len(p.keys)
	}
	inv.Keys = make([]keys.Key, 0, n)
	for _, p := range places {
		if !p.skipKeys {
			total++
		}
		where, orgWhat := "personal keys", "organization "+p.orgID
		if p.orgID != "" {
			where = "the keys of " + orgWhat
		}
		switch {
		case p.skipKeys:
		case p.keysErr != nil:
			inv.Gaps = append(inv.Gaps, Gap{Kind: GapKeys, What: where, OrgID: p.orgID, Reason: reason(p.keysErr)})
		default:
			read++
			inv.Keys = append(inv.Keys, p.keys...)
			if p.fromCredOrg != "" {
				inv.OrgFromCredential = p.fromCredOrg
				inv.Orgs++
			} else if p.orgID != "" {
				inv.Orgs++
			}
		}
		if p.orgID == "" || p.skipMembers {
			continue
		}
		if p.membersErr != nil {
			inv.Gaps = append(inv.Gaps, Gap{Kind: GapMembers, What: "the members of " + orgWhat, OrgID: p.orgID,
				Reason: reason(p.membersErr) + "; whether key creators still belong to it was not checked"})
			continue
		}
		m := make(map[string]Member, len(p.members))
		for _, mem := range p.members {
			m[mem.Member.UserID] = Member{DeactivatedAt: mem.User.DeactivatedAt}
		}
		inv.Members[p.orgID] = m
	}
	if read == 0 && total > 0 {
		return nil, firstKeysErr(places)
	}
	return inv, nil
}

func firstKeysErr(places []*place) error {
	for _, p := range places {
		if p.keysErr != nil {
			return p.keysErr
		}
	}
	return errors.New("no keys could be listed")
}

func containsOrg(orgs []neonapi.Organization, id string) bool {
	for _, o := range orgs {
		if o.ID == id {
			return true
		}
	}
	return false
}
