package bot

// Scopes are the bot token scopes the code uses: manifest.yaml asks for
// exactly these (a test compares them), and `mpc-bot check` compares them
// with what the installed token was granted.
func Scopes() []string {
	return []string{
		"commands",          // /mpc-add
		"chat:write",        // announcements, thread replies, DM answers
		"chat:write.public", // post in public channels without being invited
		"users:read",        // the phone number in profiles (users.info)
		"usergroups:read",   // expand @user-groups (usergroups.users.list)
		"app_mentions:read", // "@mpc-bot add …"
		"im:history",        // commands typed to the app in its Messages tab
	}
}

// Events are the bot events the code handles, subscribed in manifest.yaml.
func Events() []string {
	return []string{"app_mention", "app_home_opened", "message.im", "tokens_revoked"}
}
