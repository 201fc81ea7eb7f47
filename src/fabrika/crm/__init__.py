"""CRM: customers, B2B accounts and the order registry that customers and operators read."""
