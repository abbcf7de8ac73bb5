package collector

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/amiaudit/amiaudit/snapshot"
)

// organization reads the organization, its accounts and OUs. Without --org it
// is best effort, for the trust model: a member account can describe its
// organization but not list it, and then the organization is left out (the
// rules then say the organization could not be read). With --org a failure is
// recorded and the scope falls back to the caller's account.
func (c *collector) organization(ctx context.Context, caller string, required bool) *snapshot.Organization {
	client := c.organizations()
	org, action, err := readOrganization(ctx, client)
	if err != nil {
		if required {
			c.fail(ctx, snapshot.CollectionError{Account: caller, Service: "organizations", Action: action}, err)
		}
		c.opts.Log.Debug("organization not read", "action", action, "error", err)
		return nil
	}
	c.organizationalUnits(ctx, client, org)
	return org
}

// organizationShallow reads the organization and its accounts, without the
// OU tree, recording nothing: a gate decides itself whether it needed them.
func (c *collector) organizationShallow(ctx context.Context) *snapshot.Organization {
	org, _, err := readOrganization(ctx, c.organizations())
	if err != nil {
		return nil
	}
	return org
}

// readOrganization describes the organization and lists its accounts; on
// failure it names the action that failed.
func readOrganization(ctx context.Context, client *organizations.Client) (*snapshot.Organization, string, error) {
	desc, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, "DescribeOrganization", err
	}
	org := &snapshot.Organization{
		ID:                aws.ToString(desc.Organization.Id),
		ARN:               aws.ToString(desc.Organization.Arn),
		ManagementAccount: aws.ToString(desc.Organization.MasterAccountId),
	}
	accounts := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for accounts.HasMorePages() {
		page, err := accounts.NextPage(ctx)
		if err != nil {
			return nil, "ListAccounts", err
		}
		for _, a := range page.Accounts {
			org.Accounts = append(org.Accounts, snapshot.OrgAccount{
				ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), Status: string(a.Status),
			})
		}
	}
	sort.Slice(org.Accounts, func(i, j int) bool { return org.Accounts[i].ID < org.Accounts[j].ID })
	return org, "", nil
}

// organizationalUnits walks the OU tree and the accounts directly under each
// parent; what cannot be listed is skipped (the trust model still has the
// organization and its accounts).
func (c *collector) organizationalUnits(ctx context.Context, client *organizations.Client, org *snapshot.Organization) {
	roots, err := client.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		c.opts.Log.Debug("organizational units not read", "action", "ListRoots", "error", err)
		return
	}
	parentOf := map[string]string{}
	var walk func(parent string)
	walk = func(parent string) {
		accounts := organizations.NewListAccountsForParentPaginator(client, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for accounts.HasMorePages() {
			page, err := accounts.NextPage(ctx)
			if err != nil {
				c.opts.Log.Debug("accounts of a parent not read", "parent", parent, "error", err)
				break
			}
			for _, a := range page.Accounts {
				parentOf[aws.ToString(a.Id)] = parent
			}
		}
		ous := organizations.NewListOrganizationalUnitsForParentPaginator(client, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for ous.HasMorePages() {
			page, err := ous.NextPage(ctx)
			if err != nil {
				c.opts.Log.Debug("organizational units not read", "parent", parent, "error", err)
				return
			}
			for _, ou := range page.OrganizationalUnits {
				org.OrganizationalUnits = append(org.OrganizationalUnits, toOU(ou, parent))
				walk(aws.ToString(ou.Id))
			}
		}
	}
	for _, r := range roots.Roots {
		walk(aws.ToString(r.Id))
	}
	for i := range org.Accounts {
		org.Accounts[i].ParentOU = parentOf[org.Accounts[i].ID]
	}
}

func toOU(ou orgtypes.OrganizationalUnit, parent string) snapshot.OrganizationalUnit {
	return snapshot.OrganizationalUnit{ID: aws.ToString(ou.Id), ARN: aws.ToString(ou.Arn), Name: aws.ToString(ou.Name), Parent: parent}
}

// accounts is the account scope: --accounts, the organization's active
// accounts with --org, or the caller's own; then the shard.
func (c *collector) accounts(caller string, org *snapshot.Organization) ([]string, error) {
	var accounts []string
	switch {
	case len(c.opts.Accounts) > 0:
		accounts = append(accounts, c.opts.Accounts...)
	case c.opts.Org:
		if org == nil {
			return nil, fmt.Errorf("--org: the organization's accounts could not be listed from account %s (it must be the management account or a delegated administrator)", caller)
		}
		for _, a := range org.Accounts {
			if a.Status == "" || a.Status == string(orgtypes.AccountStatusActive) {
				accounts = append(accounts, a.ID)
			}
		}
	default:
		accounts = []string{caller}
	}
	sort.Strings(accounts)
	accounts = dedupe(accounts)
	if c.opts.Shard != "" {
		k, n, err := snapshot.ParseShard(c.opts.Shard)
		if err != nil {
			return nil, fmt.Errorf("shard %q: %w", c.opts.Shard, err)
		}
		accounts = Shard(accounts, k, n)
	}
	return accounts, nil
}

// regions is the region scope: --regions, or every region enabled for the
// caller's account.
func (c *collector) regions(ctx context.Context, caller string) ([]string, error) {
	if len(c.opts.Regions) > 0 {
		return dedupe(append([]string(nil), c.opts.Regions...)), nil
	}
	client := ec2.NewFromConfig(c.cfg, func(o *ec2.Options) {
		o.Retryer = c.retryer()
		o.APIOptions = append(o.APIOptions, rateLimit(c.limiter(caller, c.cfg.Region)))
	})
	out, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(false)})
	if err != nil {
		return nil, fmt.Errorf("list the regions enabled for account %s (or name them with --regions): %w", caller, err)
	}
	var regions []string
	for _, r := range out.Regions {
		regions = append(regions, aws.ToString(r.RegionName))
	}
	sort.Strings(regions)
	return regions, nil
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
