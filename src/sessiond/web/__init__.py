"""The end-user web pages, served per tenant under `/t/{tenant-slug}/account`."""
