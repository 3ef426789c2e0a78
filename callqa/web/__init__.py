"""The review app (callqa serve): routes, templates, static files, users and auth."""
