package neontest

import (
	"net/http"
	"strconv"
	"time"
)

// Organization members (GET /organizations/{org_id}/members) and the
// setup helpers an audit of keys needs: who created a key, when, and
// members in bulk.
//
// Assumptions where Neon does not say: a member's personal key (any role)
// or an org-wide key of the organization may list its members; a
// project-scoped key may not (403), nor anyone outside it (403 "not an
// organization member", as for its keys). Members come in join order; the
// cursor is the last member id of the page, and pagination.next is present
// only when more members follow. limit is 1..500, 100 when absent.

type wireMember struct { // Member
	ID       string `json:"id"`
	UserID   string `json:"user_id"`
	OrgID    string `json:"org_id"`
	Role     string `json:"role"`
	JoinedAt string `json:"joined_at"`
}

type wireMemberUser struct { // MemberUserInfo
	Email         string `json:"email"`
	DeactivatedAt string `json:"deactivated_at,omitempty"`
}

type wireMemberWithUser struct { // MemberWithUser
	Member wireMember     `json:"member"`
	User   wireMemberUser `json:"user"`
}

type wireCursorPagination struct { // CursorPagination
	Next      string `json:"next,omitempty"`
	SortBy    string `json:"sort_by"`
	SortOrder string `json:"sort_order"`
}

type wireMembers struct { // OrganizationMembersResponse + CursorPaginationResponse
	Members    []wireMemberWithUser  `json:"members"`
	Pagination *wireCursorPagination `json:"pagination,omitempty"`
}

// GET /organizations/{org_id}/members
func (s *Server) listMembers(c *call) {
	orgID := c.segment(1)
	limit, err := membersLimit(c.r.URL.Query().Get("limit"))
	if err != nil {
		c.fail(err)
		return
	}
	cursor := c.r.URL.Query().Get("cursor")
	s.mu.Lock()
	if err := s.canReadOrgKeysLocked(c.key, orgID); err != nil {
		s.mu.Unlock()
		c.fail(err)
		return
	}
	resp := s.membersPageLocked(s.st.orgs[orgID], cursor, limit)
	s.mu.Unlock()
	c.json(http.StatusOK, resp)
}

func membersLimit(raw string) (int, error) {
	if raw == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 500 {
		return 0, errf(http.StatusBadRequest, "limit must be an integer from 1 to 500")
	}
	return n, nil
}

// membersPageLocked is the page of o's members after the member id cursor.
func (s *Server) membersPageLocked(o *orgRec, cursor string, limit int) wireMembers {
	start := 0
	if cursor != "" {
		start = len(o.order) // an unknown cursor: an empty page
		for i, uid := range o.order {
			if o.memberIDs[uid] == cursor {
				start = i + 1
				break
			}
		}
	}
	end := min(start+limit, len(o.order))
	resp := wireMembers{Members: make([]wireMemberWithUser, 0, end-start)}
	for _, uid := range o.order[start:end] {
		role := "member"
		if o.members[uid] {
			role = "admin"
		}
		item := wireMemberWithUser{
			Member: wireMember{ID: o.memberIDs[uid], UserID: uid, OrgID: o.ID, Role: role, JoinedAt: formatTime(o.joined[uid])},
		}
		if u := s.st.users[uid]; u != nil {
			item.User.Email = u.Email
			if !u.deactivatedAt.IsZero() {
				item.User.DeactivatedAt = formatTime(u.deactivatedAt)
			}
		}
		resp.Members = append(resp.Members, item)
	}
	resp.Pagination = &wireCursorPagination{SortBy: "joined_at", SortOrder: "asc"}
	if end < len(o.order) && end > start {
		resp.Pagination.Next = o.memberIDs[o.order[end-1]]
	}
	return resp
}

// DeactivateUser marks userID's account deactivated at t: the members
// lists show deactivated_at.
func (s *Server) DeactivateUser(userID string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUserLocked("DeactivateUser", userID).deactivatedAt = t.UTC()
}

// AddOrgMembers adds n new users to orgID as non-admin members (for scale
// tests and benchmarks) and returns their ids.
func (s *Server) AddOrgMembers(orgID string, n int) []string {
	out := make([]string, 0, n)
	for i := range n {
		u := s.AddUser("Member " + strconv.Itoa(i))
		s.AddOrgMember(orgID, u.ID, false)
		out = append(out, u.ID)
	}
	return out
}

// SetKeyCreator records userID as the creator of a key (created_by).
func (s *Server) SetKeyCreator(keyID int64, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.mustKeyLocked("SetKeyCreator", keyID)
	s.mustUserLocked("SetKeyCreator", userID)
	k.CreatedBy = userID
	k.listPrefix = staticItemPrefix(&k.KeyInfo, s.st.creator(userID))
}

// SetKeyCreatedAt sets a key's created_at.
func (s *Server) SetKeyCreatedAt(keyID int64, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.mustKeyLocked("SetKeyCreatedAt", keyID)
	k.CreatedAt = t.UTC()
	k.listPrefix = staticItemPrefix(&k.KeyInfo, s.st.creator(k.CreatedBy))
}
