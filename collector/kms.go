package collector

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"golang.org/x/sync/errgroup"

	"github.com/amiaudit/amiaudit/snapshot"
)

// keyGroup is the keys of one account-region and the clients to read them with.
type keyGroup struct {
	account, region string
	arns            []string
	client          *kms.Client
	// owned is true when the client acts in the keys' own account: only then
	// can key policies, grants and aliases be read (AWS allows no cross-account
	// GetKeyPolicy); otherwise only DescribeKey is attempted.
	owned bool
	// aliases says whether to list the account-region's aliases (a scan does;
	// a gate, counting its calls, relies on DescribeKey's KeyManager).
	aliases bool
}

// keys reads every KMS key that encrypts a collected snapshot or image.
func (c *collector) keys(ctx context.Context, results []*regionResult) []snapshot.Key {
	return c.readKeyGroups(ctx, c.groupKeys(results, nil, ""), true)
}

// keysFor reads the keys of a gate's images and the extra keys it names, as
// the caller.
func (c *collector) keysFor(ctx context.Context, results []*regionResult, extra []string, caller string) []snapshot.Key {
	return c.readKeyGroups(ctx, c.groupKeys(results, extra, caller), false)
}

// groupKeys groups the keys that results use, and extra, by account-region,
// each with the clients to read it with.
func (c *collector) groupKeys(results []*regionResult, extra []string, caller string) map[string]*keyGroup {
	byAR := map[string]*regionResult{}
	for _, r := range results {
		byAR[r.account+"/"+r.region] = r
	}
	groups := map[string]*keyGroup{}
	seen := map[string]bool{}
	use := func(arn string, from *regionResult) {
		if arn == "" || seen[arn] {
			return
		}
		seen[arn] = true
		account, region, ok := keyOwner(arn)
		if !ok {
			return
		}
		k := account + "/" + region
		g, ok := groups[k]
		if !ok {
			g = &keyGroup{account: account, region: region}
			if owner, found := byAR[k]; found && !owner.failed {
				g.client, g.owned = owner.clients.kms, true
			} else if from == nil {
				// An extra key, read as the caller.
				g.client, g.owned = c.clientsFor(c.cfg.Credentials, caller, region).kms, account == caller
			} else {
				// The owner is out of scope (or unreadable): describe the key as
				// the account that uses it, in the key's region.
				g.client = c.clientsFor(from.creds, from.account, region).kms
			}
			groups[k] = g
		}
		g.arns = append(g.arns, arn)
	}
	for _, r := range results {
		for _, s := range r.snapshots {
			if s.Encrypted {
				use(s.KMSKeyID, r)
			}
		}
		for _, img := range r.images {
			for _, b := range img.BlockDeviceMappings {
				use(b.KMSKeyID, r)
			}
		}
	}
	for _, arn := range extra {
		use(arn, nil)
	}
	return groups
}

func (c *collector) readKeyGroups(ctx context.Context, groups map[string]*keyGroup, aliases bool) []snapshot.Key {
	var mu sync.Mutex
	var out []snapshot.Key
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	for _, grp := range groups {
		grp.aliases = aliases
		g.Go(func() error {
			keys := c.readKeys(gctx, grp)
			mu.Lock()
			out = append(out, keys...)
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// keyOwner reads the account and region of a key ARN.
func keyOwner(arn string) (account, region string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[2] != "kms" {
		return "", "", false
	}
	return parts[4], parts[3], true
}

func (c *collector) readKeys(ctx context.Context, g *keyGroup) []snapshot.Key {
	failIn := c.failIn(ctx, g.account, g.region)
	fail := func(action, resource string, err error) { failIn("kms", action, resource, err) }
	aliases := map[string][]string{}
	if g.owned && g.aliases {
		p := kms.NewListAliasesPaginator(g.client, &kms.ListAliasesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				fail("ListAliases", "", err)
				break
			}
			for _, a := range page.Aliases {
				if id := aws.ToString(a.TargetKeyId); id != "" {
					aliases[id] = append(aliases[id], aws.ToString(a.AliasName))
				}
			}
		}
	}
	sort.Strings(g.arns)
	var out []snapshot.Key
	for _, arn := range g.arns {
		if ctx.Err() != nil {
			fail("DescribeKey", keyID(arn), ctx.Err())
			return out
		}
		if g.owned {
			if k := c.carryKey(arn); k != nil {
				if g.aliases {
					k.Aliases = aliases[k.ID]
				}
				out = append(out, *k)
				continue
			}
			c.countKeyRead(arn)
		}
		desc, err := g.client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)})
		if err != nil {
			if g.owned {
				fail("DescribeKey", keyID(arn), err)
			} else {
				c.opts.Log.Debug("key outside the scope not described", "key", arn, "error", err)
			}
			continue
		}
		m := desc.KeyMetadata
		key := snapshot.Key{
			ARN:         aws.ToString(m.Arn),
			ID:          aws.ToString(m.KeyId),
			Account:     aws.ToString(m.AWSAccountId),
			Region:      g.region,
			KeyManager:  string(m.KeyManager),
			KeyState:    string(m.KeyState),
			Description: aws.ToString(m.Description),
			Aliases:     aliases[aws.ToString(m.KeyId)],
			Grants:      []snapshot.Grant{},
		}
		if g.owned {
			readPolicyAndGrants(ctx, g.client, &key, fail, c.opts.Log)
		}
		out = append(out, key)
	}
	return out
}

// readPolicyAndGrants reads a key's policy (policy name "default") and its
// grants, with their encryption context constraints, as its owner; what
// cannot be read is recorded with fail and left empty.
func readPolicyAndGrants(ctx context.Context, client *kms.Client, key *snapshot.Key, fail func(action, resource string, err error), log *slog.Logger) {
	pol, err := client.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(key.ARN), PolicyName: aws.String("default")})
	if err != nil {
		fail("GetKeyPolicy", key.ID, err)
	} else {
		key.Policy = aws.ToString(pol.Policy)
		if st, err := snapshot.ParsePolicy(key.Policy); err == nil {
			key.PolicyStatements = st
		} else {
			log.Warn("key policy not understood", "key", key.ARN, "error", err)
		}
	}
	grants := kms.NewListGrantsPaginator(client, &kms.ListGrantsInput{KeyId: aws.String(key.ARN)})
	for grants.HasMorePages() {
		page, err := grants.NextPage(ctx)
		if err != nil {
			fail("ListGrants", key.ID, err)
			return
		}
		for _, gr := range page.Grants {
			grant := snapshot.Grant{
				GrantID:           aws.ToString(gr.GrantId),
				Name:              aws.ToString(gr.Name),
				GranteePrincipal:  aws.ToString(gr.GranteePrincipal),
				RetiringPrincipal: aws.ToString(gr.RetiringPrincipal),
				IssuingAccount:    aws.ToString(gr.IssuingAccount),
			}
			for _, op := range gr.Operations {
				grant.Operations = append(grant.Operations, string(op))
			}
			if c := gr.Constraints; c != nil && (len(c.EncryptionContextEquals) > 0 || len(c.EncryptionContextSubset) > 0) {
				grant.Constraints = &snapshot.GrantConstraints{EncryptionContextEquals: c.EncryptionContextEquals, EncryptionContextSubset: c.EncryptionContextSubset}
			}
			key.Grants = append(key.Grants, grant)
		}
	}
}

func keyID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
