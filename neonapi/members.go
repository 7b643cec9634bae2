package neonapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// OrgMember is an item of GET /organizations/{org_id}/members
// (MemberWithUser), with the fields neonkeys uses: who the member is and
// whether the account was deactivated. The member's email (x-sensitive in
// Neon's OpenAPI file) is not decoded, so it is held nowhere.
type OrgMember struct {
	Member MemberInfo `json:"member"`
	User   MemberUser `json:"user"`
}

// MemberInfo is the part of the API's Member neonkeys reads: whose
// membership it is (audit/collect.go). What is not read is not decoded.
type MemberInfo struct {
	UserID string `json:"user_id" neon:"id"`
}

// MemberUser is the part of the API's MemberUserInfo neonkeys reads.
type MemberUser struct {
	// DeactivatedAt is set when the user's account was deactivated.
	DeactivatedAt *time.Time `json:"deactivated_at,omitempty"`
}

// membersPageSize is the largest page the API serves (limit maximum 500):
// an organization of 2,000 members is 4 requests.
const membersPageSize = 500

// ListOrgMembers lists an organization's members
// (GET /organizations/{org_id}/members), following the cursor
// (pagination.next) until it is empty or already followed, or a page comes
// back empty. Past maxListPages pages, maxListBytes of answers or
// maxListItems members it stops with a *LimitError, as ListProjects does.
func (c *Client) ListOrgMembers(ctx context.Context, orgID string) ([]OrgMember, error) {
	org, err := checkOrgID(orgID)
	if err != nil {
		return nil, err
	}
	path := orgPath(org, "/members")
	var all []OrgMember
	pages, bytesRead := 0, 0
	seen := map[string]bool{} // a server cycling through cursors must not loop
	cursor := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(membersPageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Members    []OrgMember `json:"members"`
			Pagination *struct {
				Next string `json:"next"`
			} `json:"pagination"`
		}
		n, err := c.doCounted(ctx, http.MethodGet, path, q, nil, &page)
		if err != nil {
			return nil, err
		}
		pages, bytesRead = pages+1, bytesRead+n
		all = append(all, page.Members...)
		if len(page.Members) == 0 || page.Pagination == nil || page.Pagination.Next == "" || seen[page.Pagination.Next] {
			return all, nil
		}
		if err := checkListBounds(path, "members", "", pages, bytesRead, len(all)); err != nil {
			return nil, err
		}
		cursor = page.Pagination.Next
		seen[cursor] = true
	}
}
