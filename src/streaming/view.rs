//! A new note as each recipient sees it. Its rows (the note, its reply and renote, authors,
//! polls) are read once per process as nobody; each recipient's view then differs only in
//! which of those notes they may see, their own reactions and their poll votes, so recipients
//! who differ in none of these share one rendering.

use crate::api::pack::notes::{render_page, Order};
use crate::db::notes::NoteRow;
use crate::db::page::{List, PackRow};
use crate::domain::timelines::{self, Viewer};
use crate::domain::{polls, reactions, visibility, Error};
use diesel_async::AsyncPgConnection;
use std::collections::HashMap;
use std::sync::Arc;

/// What one recipient's rendering depends on: signed in or not, and per row whether they see
/// it, their reaction and their votes.
type Variant = (bool, Vec<(bool, Option<String>, Vec<i32>)>);

pub struct NoteView {
    id: String,
    rows: Vec<PackRow>,
    reactions: HashMap<(String, String), String>,
    votes: HashMap<(String, String), Vec<i32>>,
    rendered: HashMap<Variant, Arc<str>>,
}

impl NoteView {
    /// Reads the note's rows; `None` when it is gone already.
    pub async fn load(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<NoteView>, Error> {
        let rows = timelines::load(conn, List::by_ids(None, std::slice::from_ref(&id.to_string()))).await?;
        // The badges drawn on its users come from the roles last read.
        crate::domain::roles::snapshot(conn).await?;
        if !rows.iter().any(|r| r.note.id == id && !r.nested) {
            return Ok(None);
        }
        Ok(Some(NoteView {
            id: id.to_string(),
            rows,
            reactions: HashMap::new(),
            votes: HashMap::new(),
            rendered: HashMap::new(),
        }))
    }

    pub fn note(&self) -> &NoteRow {
        &self.rows.iter().find(|r| r.note.id == self.id).expect("loaded with the note").note
    }

    /// Reads the recipients' reactions and votes on the notes that have any.
    pub async fn personalise(&mut self, conn: &mut AsyncPgConnection, users: &[String]) -> Result<(), Error> {
        let reacted: Vec<String> =
            self.rows.iter().filter(|r| r.note.reactions.count > 0).map(|r| r.note.id.clone()).collect();
        let polled: Vec<String> =
            self.rows.iter().filter(|r| r.note.has_poll).map(|r| r.note.id.clone()).collect();
        self.reactions = reactions::of_users(conn, &reacted, users).await?;
        self.votes = polls::votes_of_users(conn, &polled, users).await?;
        Ok(())
    }

    /// The packed note (Misskey's Note) as `v` sees it, as JSON.
    pub fn json_for(&mut self, base: &str, v: &Viewer) -> Arc<str> {
        let me = v.id.as_deref();
        let per_row = |r: &PackRow| {
            let key = |m: &str| (r.note.id.clone(), m.to_string());
            let followed = v.following.contains_key(&r.note.user_id);
            (
                visibility::can_see(&r.note, me, followed),
                me.and_then(|m| self.reactions.get(&key(m)).cloned()),
                me.and_then(|m| self.votes.get(&key(m)).cloned()).unwrap_or_default(),
            )
        };
        let variant: Variant = (me.is_some(), self.rows.iter().map(per_row).collect());
        if let Some(json) = self.rendered.get(&variant) {
            return json.clone();
        }
        let mut rows = self.rows.clone();
        for (r, (_, reaction, votes)) in rows.iter_mut().zip(&variant.1) {
            r.followed = v.following.contains_key(&r.note.user_id);
            r.my_reaction = reaction.clone();
            r.my_votes = votes.clone();
        }
        let ids = [self.id.clone()];
        let page = render_page(base, me, &rows, Order::Given(&ids));
        let json: Arc<str> =
            page.first().and_then(|n| serde_json::to_string(n).ok()).unwrap_or_default().into();
        self.rendered.insert(variant, json.clone());
        json
    }
}
