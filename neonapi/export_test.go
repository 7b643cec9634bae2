package neonapi

import "net/http"

// Status predicates only the tests need: the code itself asks StatusOf or
// IsNotFound.

func IsUnauthorized(err error) bool { return StatusOf(err) == http.StatusUnauthorized }
func IsForbidden(err error) bool    { return StatusOf(err) == http.StatusForbidden }
func IsRateLimited(err error) bool  { return StatusOf(err) == http.StatusTooManyRequests }
func IsConflict(err error) bool     { return StatusOf(err) == http.StatusConflict }
