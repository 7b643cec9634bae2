package neonapi

import (
	"context"
	"net/http"
)

// CurrentUser holds the fields of GET /users/me (CurrentUserInfoResponse)
// that neonkeys shows; the API sends many more, which are ignored.
type CurrentUser struct {
	ID       string `json:"id" neon:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	LastName string `json:"last_name"`
	Image    string `json:"image"`
}

// FullName is the first and last name joined, as a person reads them.
func (u CurrentUser) FullName() string {
	switch {
	case u.LastName == "":
		return u.Name
	case u.Name == "":
		return u.LastName
	}
	return u.Name + " " + u.LastName
}

// GetCurrentUser returns the user a personal key belongs to (GET
// /users/me). Neon refuses it to organization keys (403 or 404).
func (c *Client) GetCurrentUser(ctx context.Context) (*CurrentUser, error) {
	var u CurrentUser
	if err := c.do(ctx, http.MethodGet, "/users/me", nil, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}
