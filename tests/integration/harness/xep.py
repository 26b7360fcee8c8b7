"""Namespaces and small builders/readers for the XEPs the tests speak."""

from xml.sax.saxutils import escape, quoteattr

NS_CLIENT = "jabber:client"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_REGISTER = "jabber:iq:register"
NS_GATEWAY = "jabber:iq:gateway"
NS_DATA = "jabber:x:data"
NS_PING = "urn:xmpp:ping"


def q(ns, *names):
    """ElementTree path of names in one namespace: q(NS_REGISTER, 'query', 'nick')."""
    return "/".join(f"{{{ns}}}{name}" for name in names)


# -- XEP-0077 / XEP-0004 ------------------------------------------------------

def register_get():
    return f"<query xmlns='{NS_REGISTER}'/>"


def register_remove():
    return f"<query xmlns='{NS_REGISTER}'><remove/></query>"


def register_form(fields, form_type=NS_REGISTER, form_kind="submit"):
    """A jabber:iq:register query carrying a data form with the given fields."""
    parts = [f"<query xmlns='{NS_REGISTER}'><x xmlns='{NS_DATA}' type={quoteattr(form_kind)}>"]
    if form_type is not None:
        parts.append("<field var='FORM_TYPE' type='hidden'>"
                     f"<value>{escape(form_type)}</value></field>")
    for var, value in fields.items():
        parts.append(f"<field var={quoteattr(var)}><value>{escape(value)}</value></field>")
    parts.append("</x></query>")
    return "".join(parts)


def register_legacy(fields):
    """A jabber:iq:register query with legacy (non-form) fields."""
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
    return f"<query xmlns='{NS_REGISTER}'>{inner}</query>"


def register_query(reply):
    return reply.find(q(NS_REGISTER, "query"))


def is_registered(reply):
    query = register_query(reply)
    return query is not None and query.find(q(NS_REGISTER, "registered")) is not None


def data_form(query):
    return query.find(q(NS_DATA, "x"))


def form_fields(form):
    """{var: {'type':..., 'required': bool, 'values': [...]}} of a data form."""
    fields = {}
    for field in form.findall(q(NS_DATA, "field")):
        fields[field.get("var")] = {
            "type": field.get("type"),
            "required": field.find(q(NS_DATA, "required")) is not None,
            "values": [v.text or "" for v in field.findall(q(NS_DATA, "value"))],
        }
    return fields


def public_value(reply, name):
    """The current value of a registration field as the transport reports it:
    the data form's value if the form carries one, else the legacy element."""
    query = register_query(reply)
    form = data_form(query)
    if form is not None:
        values = form_fields(form).get(name, {}).get("values")
        if values:
            return values[0]
    legacy = query.find(q(NS_REGISTER, name))
    return legacy.text if legacy is not None else None


# -- XEP-0030 ------------------------------------------------------------------

def disco_info():
    return f"<query xmlns='{NS_DISCO_INFO}'/>"


def disco_items():
    return f"<query xmlns='{NS_DISCO_ITEMS}'/>"


# -- XEP-0100 ------------------------------------------------------------------

def gateway_get():
    return f"<query xmlns='{NS_GATEWAY}'/>"


def gateway_set(prompt):
    return f"<query xmlns='{NS_GATEWAY}'><prompt>{escape(prompt)}</prompt></query>"
