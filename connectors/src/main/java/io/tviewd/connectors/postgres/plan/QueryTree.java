package io.tviewd.connectors.postgres.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads PostgreSQL's node-tree text (the form {@code pg_rewrite.ev_action} stores a view's query in) into plain
 * values: a {@link Node} per {@code {NAME :field value …}}, a {@link List} per {@code ( … )}, a {@link String} per
 * token, {@code null} for {@code <>}. Field names and node types vary between server versions; callers read only
 * the fields they need and treat a missing one as absent.
 */
public final class QueryTree {

    /** One node: its type ({@code QUERY}, {@code VAR}, …) and its fields in order. */
    public record Node(String type, Map<String, Object> fields) {

        public Object get(String field) {
            return fields.get(field);
        }

        public Node node(String field) {
            return fields.get(field) instanceof Node n ? n : null;
        }

        public List<Object> list(String field) {
            return fields.get(field) instanceof List<?> l ? cast(l) : List.of();
        }

        public String text(String field) {
            return fields.get(field) instanceof String s ? s : null;
        }

        public int integer(String field, int otherwise) {
            String s = text(field);
            if (s == null) {
                return otherwise;
            }
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                return otherwise;
            }
        }

        public long number(String field) {
            String s = text(field);
            return s == null ? 0 : Long.parseLong(s);
        }

        public boolean flag(String field) {
            return "true".equals(text(field));
        }

        public boolean is(String t) {
            return type.equals(t);
        }

        @SuppressWarnings("unchecked")
        private static List<Object> cast(List<?> l) {
            return (List<Object>) l;
        }
    }

    /** Thrown for text that is not a node tree; the message names the offset. */
    public static final class MalformedTreeException extends IllegalArgumentException {
        MalformedTreeException(String message) {
            super(message);
        }
    }

    private final String text;
    private int pos;

    private QueryTree(String text) {
        this.text = text;
    }

    /** Parses one value: a node, a list, a token or {@code <>}. */
    public static Object parse(String text) {
        QueryTree p = new QueryTree(text);
        Object v = p.value(p.token());
        if (p.token() != null) {
            throw new MalformedTreeException("trailing text at offset " + p.pos);
        }
        return v;
    }

    /** The queries of a stored rule ({@code ev_action} is a list of them). */
    public static List<Node> queries(String evAction) {
        Object v = parse(evAction);
        List<Node> out = new ArrayList<>();
        if (v instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Node n && n.is("QUERY")) {
                    out.add(n);
                }
            }
        } else if (v instanceof Node n && n.is("QUERY")) {
            out.add(n);
        }
        return out;
    }

    private Object value(String tok) {
        if (tok == null) {
            throw new MalformedTreeException("unexpected end of text");
        }
        return switch (tok) {
            case "{" -> node();
            case "(" -> list();
            case "<>" -> null;
            default -> tok;
        };
    }

    private Node node() {
        String type = token();
        Map<String, Object> fields = new LinkedHashMap<>();
        String tok = token();
        while (tok != null && !tok.equals("}")) {
            if (!tok.startsWith(":")) {
                throw new MalformedTreeException("expected a field name in " + type + " at offset " + pos + ", found '" + tok + "'");
            }
            String name = tok.substring(1);
            String next = token();
            if (next != null && (next.startsWith(":") || next.equals("}"))) {
                fields.put(name, null); // a field written without a value
                tok = next;
                continue;
            }
            Object v = value(next);
            tok = token();
            if ("[".equals(tok)) { // a datum: its length, then "[ byte … ]"
                while (tok != null && !tok.equals("]")) {
                    tok = token();
                }
                tok = token();
            }
            fields.put(name, v);
        }
        if (tok == null) {
            throw new MalformedTreeException("unterminated node " + type);
        }
        return new Node(type, fields);
    }

    private List<Object> list() {
        List<Object> out = new ArrayList<>();
        String tok = token();
        while (tok != null && !tok.equals(")")) {
            out.add(value(tok));
            tok = token();
        }
        if (tok == null) {
            throw new MalformedTreeException("unterminated list");
        }
        return out;
    }

    /** Next token as the server's {@code pg_strtok} splits them; backslash escapes are resolved. */
    private String token() {
        int n = text.length();
        while (pos < n && (Character.isWhitespace(text.charAt(pos)))) {
            pos++;
        }
        if (pos >= n) {
            return null;
        }
        char c = text.charAt(pos);
        if (c == '(' || c == ')' || c == '{' || c == '}') {
            pos++;
            return String.valueOf(c);
        }
        StringBuilder sb = new StringBuilder();
        if (c == '"') {
            pos++;
            while (pos < n && text.charAt(pos) != '"') {
                if (text.charAt(pos) == '\\' && pos + 1 < n) {
                    pos++;
                }
                sb.append(text.charAt(pos++));
            }
            pos++;
            return sb.toString();
        }
        while (pos < n) {
            c = text.charAt(pos);
            if (Character.isWhitespace(c) || c == '(' || c == ')' || c == '{' || c == '}') {
                break;
            }
            if (c == '\\' && pos + 1 < n) {
                pos++;
                c = text.charAt(pos);
            }
            sb.append(c);
            pos++;
        }
        return sb.toString();
    }
}
