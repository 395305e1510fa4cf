"""Packaged configuration files: credit policy, dunning scenario, rate table."""
