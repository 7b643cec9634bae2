// Package destination writes a freshly minted Neon token straight to the
// systems that use it (a GitHub Actions secret, a .env file, a token file, a
// program's stdin, the key file neonkeys itself runs with), so no person or
// model ever carries it by hand.
//
// A person names destinations in a YAML file (see Load); nothing in neonkeys
// adds one. Open turns the chosen entries into Destinations, and a Deliverer
// drives them. The contract a caller (create, rotate, deliver) relies on:
//
//  1. Preflight every destination before anything is minted. Preflight
//     writes nothing; any failure names its destination, and the caller must
//     then mint nothing.
//  2. Deliver the token to the first destination alone. If it certainly
//     failed (nothing was written), nothing else is tried: nothing holds the
//     new token, so the caller withdraws (revokes) it and keeps the old key.
//  3. Deliver to the others: GitHub secrets concurrently (two destinations
//     naming the same secret one after the other), the other kinds one at a
//     time in the order given. A failure here does not stop the rest.
//     Cancelling ctx stops before the next delivery starts; the ones not
//     started are reported as not tried.
//  4. The Report says which destinations hold the new token, which certainly
//     do not, and which may (a write whose answer was lost, a program stopped
//     by its timeout). Report.Next turns that into the caller's move:
//     revoke the old key only when every destination holds the new token;
//     withdraw the new one only when none holds it and none may; otherwise
//     keep both keys live and write the token to a rescue file (WriteRescue).
//
// The token goes into the destination and nowhere else: never into argv,
// an environment, an error or a log. Every text this package returns has
// passed the redactor, with the token and the GitHub credential registered.
package destination
