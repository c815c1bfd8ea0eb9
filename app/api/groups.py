"""Theme groups in the JSON API (issue 17 contract): the list, one group, joining and leaving."""

from flask import jsonify

from app.api import bp, serializers
from app.api.auth import api_user
from app.services import groups


@bp.get("/groups")
def list_groups():
    listed = groups.list_groups(api_user())
    return jsonify(serializers.page([serializers.group_summary(item) for item in listed], len(listed), 1))


@bp.get("/groups/<slug>")
def get_group(slug: str):
    group = groups.get_group(slug[:100])
    return jsonify(serializers.group(group, groups.members(group), groups.membership(api_user(), group)))


@bp.post("/groups/<slug>/membership")
def join_group(slug: str):
    """201 when the member is in at once; 202 when an organizer has to approve first."""
    row = groups.join(api_user(), groups.get_group(slug[:100]))
    return jsonify(serializers.membership(row)), 201 if row.status == "active" else 202


@bp.delete("/groups/<slug>/membership")
def leave_group(slug: str):
    groups.leave(api_user(), groups.get_group(slug[:100]))
    return "", 204
