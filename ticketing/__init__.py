"""Contacts, tickets and their threads: where every customer contact lands."""
